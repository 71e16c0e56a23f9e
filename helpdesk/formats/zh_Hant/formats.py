"""Traditional Chinese dates as Taiwan and Hong Kong write them: year/month/day,
zero-padded, with a 24-hour time."""

SHORT_DATE_FORMAT = "Y/m/d"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"

"""Korean dates as Koreans write them: year, month, day, each followed by a
period, zero-padded, with a 24-hour time (Django's own leave month and day
unpadded and use hyphens)."""

SHORT_DATE_FORMAT = "Y. m. d."
SHORT_DATETIME_FORMAT = "Y. m. d. H:i"

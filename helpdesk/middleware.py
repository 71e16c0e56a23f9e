"""Request size limits that depend on the endpoint.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE is one number for every view, but an ESP
posts a whole raw email (attachments included) as one form field, while no
other form needs more than a few megabytes. So Django's check is off
(`DATA_UPLOAD_MAX_MEMORY_SIZE = None`) and this middleware applies the limit
per endpoint from the declared length, before anything reads the body.
"""

from django.conf import settings
from django.http import HttpResponse

# Where admins upload an import (imports/admin.py): larger than an attachment.
IMPORT_UPLOAD_PATH = "/imports/importjob/add/"


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length", status=400, content_type="text/plain")
        if length > self.limit(request):
            return HttpResponse("Request too large", status=413, content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def limit(request) -> int:
        if request.path.startswith("/inbound/"):
            # base64 makes a message a third bigger; the form adds a little.
            return settings.HELPDESK_INBOUND_MAX_BYTES * 3 // 2
        if request.path.endswith(IMPORT_UPLOAD_PATH):
            return settings.HELPDESK_IMPORT_MAX_BYTES + 2**20
        if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
            return settings.HELPDESK_ATTACHMENT_MAX_BYTES + 2**20
        return settings.HELPDESK_FORM_MAX_BYTES

"""Page-number pagination that means what the schema says: ``page`` is a
positive integer. DRF reads an empty ``?page=`` as page 1 (the schema
declares an integer, so a client sending one is wrong and should be told);
here anything but a positive integer is a 400 naming the parameter, and a
page past the end stays DRF's 404."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_query_param: ["A positive integer."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

"""This app's part of /api/v1/: serializers and viewsets, registered by config/api.py."""


def register(router):
    """Add this app's viewsets to the /api/v1/ router."""


urlpatterns = []

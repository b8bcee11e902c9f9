app_name = "leave"

urlpatterns = []

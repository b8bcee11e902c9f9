app_name = "sprockets"

urlpatterns = []

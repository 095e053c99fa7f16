from django.contrib.gis.forms.widgets import OSMWidget


class OfflineOSMWidget(OSMWidget):
    """Django's OpenLayers map widget with OpenLayers served from our static files
    instead of a CDN, so the admin works offline. Korea-centred by default. Its
    options travel as JSON to a static script rather than in an inline script, which
    the Content-Security-Policy forbids."""

    template_name = "cities/map_widget.html"
    default_lon = 127.8
    default_lat = 36.3
    default_zoom = 7

    class Media:
        extend = False
        css = {"all": ("vendor/ol-7.2.2/ol.css", "gis/css/ol3.css")}
        js = (
            "vendor/ol-7.2.2/ol.js",
            "gis/js/OLMapWidget.js",
            "js/admin-map-widget.js",
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["map_options_id"] = f"{context['id']}_map_options"
        context["map_options"] = {
            "geom_name": context["geom_type"],
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"],
            "name": context["name"],
            "module": context["module"],
            "default_lon": context["default_lon"],
            "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
        }
        return context

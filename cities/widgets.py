from django.contrib.gis.forms.widgets import OSMWidget


class OfflineOSMWidget(OSMWidget):
    """Django's OpenLayers map widget with OpenLayers served from our static files
    instead of a CDN, so the admin works offline. Korea-centred by default."""

    default_lon = 127.8
    default_lat = 36.3
    default_zoom = 7

    class Media:
        extend = False
        css = {"all": ("vendor/ol-7.2.2/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol-7.2.2/ol.js", "gis/js/OLMapWidget.js")

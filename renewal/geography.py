"""Geographic constants shared by the API and the services."""

# Longitude/latitude box around South Korea: coordinates outside it are almost always
# projected metres (EPSG:5179/5186) sent as if they were degrees.
KOREA_BOUNDS = (124.0, 33.0, 132.0, 39.0)

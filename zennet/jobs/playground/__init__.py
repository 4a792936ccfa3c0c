"""``zennet playground``: a local page where a 2-D data set is learned live by zennet.

config (what the page may choose), session (one model training), step_view (one step
seen from one layer, with the primer's formulas), server (the HTTP server and its JSON
API); the page itself (HTML, JavaScript, CSS) is in static/.
"""

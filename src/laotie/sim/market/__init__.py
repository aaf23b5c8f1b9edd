"""The marketplace simulator (``laotie simulate``): synthetic buyers, merchants and creators driving
the real services in-process over simulated days, and the measures of what the traffic policy did."""

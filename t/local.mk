# t: see the issue that builds it

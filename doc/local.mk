# doc: see the issue that builds it

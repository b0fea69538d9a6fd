# tools: see the issue that builds it

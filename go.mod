module github.com/multipath-dev/go

go 1.25.0

require golang.org/x/sys v0.47.0

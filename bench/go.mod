module github.com/mwlogin/mwlogin/bench

go 1.26.0

require github.com/mwlogin/mwlogin v0.0.0

replace github.com/mwlogin/mwlogin => ../

module github.com/gongshi-archive/gongshi

go 1.26

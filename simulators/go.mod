module github.com/millwright-dev/millwright/simulators

go 1.26

module qeff.dev/qeff

go 1.23

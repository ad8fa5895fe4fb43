package connection

import "errors"

var errMalformedKey = errors.New("an API key must be mw_sk_ followed by at least 32 letters and digits")

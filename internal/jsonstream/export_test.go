package jsonstream

// TokenizerOnly makes the tokenizer read and validate every element before
// the ElementDecoder binds it (DecodeElement), as before the one-pass
// path: the reference that path is compared with.
func TokenizerOnly() Option { return func(c *config) { c.tokenizerOnly = true } }

//go:build race

package specproxy_test

// postureStreamSize is smaller under the race detector, which slows the
// validator about tenfold; the 200 MB figure comes from runs without it
// (make contract).
const postureStreamSize = 10 << 20

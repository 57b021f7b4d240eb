//go:build !race

package specproxy_test

// postureStreamSize is the size of the memory test's stream.
const postureStreamSize = 200 << 20

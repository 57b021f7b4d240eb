package jsonstream

import (
	"bufio"
	stdflate "compress/flate"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// gzip bodies are inflated with github.com/klauspost/compress, which
// inflates the posture data about a third faster than compress/gzip. Its
// errors are reported as compress/gzip's and compress/flate's, so callers
// match them with the standard library's sentinels.

// inflateChunk and inflateChunks size the buffers between the inflating
// goroutine and the decoder: enough for the inflater to run a little ahead
// while the decoder works, bounded so memory stays fixed.
const (
	inflateChunk  = 64 << 10
	inflateChunks = 4
)

// newGzipReader starts inflating the gzip stream in br. With stop set (the
// body can be closed to interrupt a blocked read), inflation runs on its
// own goroutine, overlapping the decoder on another core; wait, which the
// caller must call before returning, closes the body through stop and
// waits for that goroutine. Without stop, inflation runs on the caller's
// goroutine.
func newGzipReader(br *bufio.Reader, stop func()) (r io.Reader, wait func(), err error) {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("gzip: %w", stdErr(err))
	}
	if stop == nil {
		return gzipErrors{zr}, func() { zr.Close() }, nil
	}
	p := &inflatePipe{
		full: make(chan []byte, inflateChunks),
		free: make(chan []byte, inflateChunks),
		done: make(chan struct{}),
	}
	for range inflateChunks {
		p.free <- make([]byte, inflateChunk)
	}
	p.wg.Go(func() { p.run(gzipErrors{zr}) })
	return p, func() {
		close(p.done)
		stop() // unblocks a read of the body in progress
		p.wg.Wait()
		zr.Close()
	}, nil
}

// inflatePipe hands inflated chunks from the inflating goroutine to the
// decoder, in order. After the last chunk, full is closed and err holds
// the stream's end (io.EOF or the error).
type inflatePipe struct {
	full, free chan []byte
	done       chan struct{}
	wg         sync.WaitGroup

	err error  // written before full is closed
	cur []byte // the decoder's unread part of the current chunk
	buf []byte // the chunk cur is part of, returned to free when drained
}

func (p *inflatePipe) run(src io.Reader) {
	defer close(p.full)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.done:
			p.err = errors.New("jsonstream: stopped")
			return
		}
		n, err := io.ReadFull(src, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // a short last chunk, not a cut stream
		}
		if n > 0 {
			select {
			case p.full <- buf[:n]:
			case <-p.done:
				p.err = errors.New("jsonstream: stopped")
				return
			}
		}
		if err != nil {
			p.err = err
			return
		}
	}
}

func (p *inflatePipe) Read(b []byte) (int, error) {
	if len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf[:cap(p.buf)] // never blocks: free holds every buffer not in use
			p.buf = nil
		}
		buf, ok := <-p.full
		if !ok {
			return 0, p.err
		}
		p.buf, p.cur = buf, buf
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// gzipErrors marks errors from the gzip stream as such, so that a cut or
// damaged compressed body reads "gzip: unexpected EOF".
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %w", stdErr(err))
	}
	return n, err
}

// stdErr gives the standard library's form of an error of the gzip and
// flate packages in use.
func stdErr(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, gzip.ErrChecksum):
		return stdgzip.ErrChecksum
	case errors.Is(err, gzip.ErrHeader):
		return stdgzip.ErrHeader
	case errors.As(err, &corrupt):
		return stdflate.CorruptInputError(corrupt)
	}
	return err
}

package jsonstream_test

import (
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/qualyskit/qualys-go/internal/jsonstream"
)

// A posture stream over HTTP: the raw body goes to ElementsCloser, which
// gunzips it if needed (PCRS sends gzip without Content-Encoding) and
// closes it when the loop ends, here by break after two records.
func ExampleElementsCloser() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, `[{"id":33529705,"status":"Passed"},{"id":33529706,"status":"Failed"},{"id":33529707,"status":"Error"}]`)
		zw.Close()
	}))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/pcrs/5.0/posture/postureInfo?compressionRequired=1", "application/json", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	type record struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	n := 0
	for rec, err := range jsonstream.ElementsCloser[record](resp.Body) {
		if err != nil {
			fmt.Println("stream failed:", err)
			break
		}
		fmt.Println(rec.ID, rec.Status)
		if n++; n == 2 {
			break // the body is closed here; the third record is never read
		}
	}
	// Output:
	// 33529705 Passed
	// 33529706 Failed
}

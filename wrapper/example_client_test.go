package qualys_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// A production client: the platform and credentials come from
// QUALYS_PLATFORM (or QUALYS_GATEWAY_URL), QUALYS_USERNAME and
// QUALYS_PASSWORD; options given here win over the environment.
func ExampleNewClient() {
	client, err := qualys.NewClient(qualys.WithPlatform("US2"))
	if err != nil {
		log.Fatal(err) // e.g. qualys.ErrMissingCredentials when QUALYS_USERNAME is unset
	}
	fmt.Println(client.GatewayURL())
}

// carLibrary stands in for the CAR script library: two pages of one script.
func carLibrary() *httptest.Server {
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhY21lX2FiMTIifQ.sig")
			return
		}
		req, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(req), `"pageNumber":1`) {
			fmt.Fprint(w, `{"body":{"totalCount":2,"list":[{"id":"1040","title":"hello.sh","scriptContent":"ZWNobyBoZWxsbwo="}]}}`)
			return
		}
		fmt.Fprint(w, `{"body":{"totalCount":2,"list":[{"id":"1039","title":"1052.ps1","scriptContent":"V3JpdGUtSG9zdCAxMDUyCg=="}]}}`)
	}))
}

// Range over every record of a CAR search: pages are fetched as the loop
// needs them, and base64 content is decoded on request.
func ExampleClient_LibraryScripts() {
	gw := carLibrary()
	defer gw.Close()
	client, err := qualys.NewClient(
		qualys.WithGatewayURL(gw.URL), // normally WithPlatform or QUALYS_PLATFORM
		qualys.WithCredentials("acme_ab12", "example-password"),
		qualys.WithHTTPClient(gw.Client()),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for s, err := range client.LibraryScripts(ctx, qualys.WithFilter("moduleCode:AUTOR"), qualys.WithScriptContent(), qualys.WithPageSize(1)) {
		if err != nil {
			log.Fatal(err)
		}
		content, err := qualys.ScriptContent(s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s: %q\n", s.ID, s.Title, content)
	}
	// Output:
	// 1039 1052.ps1: "Write-Host 1052\n"
	// 1040 hello.sh: "echo hello\n"
}

// Fetch the passed and failed controls of every host of every policy, here
// from the simulator: host ids are resolved, split into batches fetched in
// parallel within the PCRS rate limit, and the records arrive as one stream.
func ExampleClient_FetchPosture() {
	sim, err := qualystest.Start(qualystest.WithHosts(30), qualystest.WithPolicies(1), qualystest.WithControlsPerPolicy(5))
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL),
		qualys.WithCredentials(sim.Username(), sim.Password()), qualys.WithHTTPClient(sim.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	var query qualys.PostureQuery
	for policy, err := range client.Policies(ctx, time.Time{}) {
		if err != nil {
			log.Fatal(err)
		}
		query.PolicyIDs = append(query.PolicyIDs, policy.ID) // a listed id goes straight into the next call
	}
	query.Filter.Status = []pcrs.PostureStatus{qualys.Failed, qualys.Passed}
	var records int
	var progress qualys.FetchProgress
	for _, err := range client.FetchPosture(ctx, query, qualys.WithBatchSize(10),
		qualys.WithProgress(func(p qualys.FetchProgress) { progress = p })) {
		if err != nil {
			log.Fatal(err)
		}
		records++
	}
	fmt.Printf("%d records; hosts %d/%d; batches %d/%d\n", records,
		progress.HostsDone, progress.HostsTotal, progress.BatchesDone, progress.BatchesTotal)
	// Output:
	// 125 records; hosts 26/26; batches 3/3
}

// A listed script's id goes straight into the next call: script records
// carry it quoted ("32533"), the execute path takes it as a number, and
// wire.ID accepts the one and sends the other.
func ExampleClient_ExecuteScript() {
	sim, err := qualystest.Start(qualystest.WithHosts(3), qualystest.WithScripts(2))
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL),
		qualys.WithCredentials(sim.Username(), sim.Password()), qualys.WithHTTPClient(sim.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	host := wire.NewID(sim.Data().Hosts[0].ID)
	for s, err := range client.Scripts(ctx, qualys.WithSort("id", qualys.Ascending), qualys.WithPageSize(1)) {
		if err != nil {
			log.Fatal(err)
		}
		run, err := client.ExecuteScript(ctx, s.ID, qualys.Execution{AssetIDs: []wire.ID{host}})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("started:", run != "")
		break
	}
	// Output:
	// started: true
}

// Say why a call takes longer than it should: each re-send is reported
// before its wait, here after a gateway's 503 page and a 429.
func ExampleWithRetryHook() {
	sim, err := qualystest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	sim.Fail("searchJobs", qualystest.HTMLError(503), qualystest.TooManyRequests())
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL), qualys.WithCredentials(sim.Username(), sim.Password()),
		qualys.WithHTTPClient(sim.Client()),
		qualys.WithBackoff(time.Millisecond, 10*time.Millisecond), // the default starts at 500ms
		qualys.WithRetryHook(func(r qualys.Retry) {
			// May run on several goroutines at once; this program makes
			// one call at a time.
			if r.Throttled {
				fmt.Printf("%s: throttled (%s), waiting\n", r.Operation, r.Reason)
				return
			}
			fmt.Printf("%s: %s, trying again\n", r.Operation, r.Reason)
		}))
	if err != nil {
		log.Fatal(err)
	}
	for _, err := range client.Jobs(context.Background(), qualys.WithPageSize(1)) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("first job read")
		break
	}
	// Output:
	// POST /sm/v1/jobs/search: HTTP 503, trying again
	// POST /sm/v1/jobs/search: throttled (HTTP 429), waiting
	// first job read
}

package simulator

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// The official Tencent Cloud Go SDK is the oracle for signature checking:
// its requests must pass, and the same request with a wrong key or a stale
// timestamp must fail as the service fails it.
func TestOfficialSDKRequests(t *testing.T) {
	customer := Registry()[0]
	tests := []struct {
		name     string
		key      string        // the key the SDK signs with
		skew     time.Duration // the simulator clock ahead of the SDK's
		wantCode string        // "" for Result 0
	}{
		{"accepted", LocalSecretKey, 0, ""},
		{"accepted four minutes off", LocalSecretKey, 4 * time.Minute, ""},
		{"wrong key", "wrongSecretKeyNotTheLocalOne0000", 0, "AuthFailure.SignatureFailure"},
		{"timestamp six minutes old", LocalSecretKey, 6 * time.Minute, "AuthFailure.SignatureExpire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := start(t, Config{Now: shifted(tt.skew)})
			u, err := url.Parse(base)
			if err != nil {
				t.Fatal(err)
			}
			prof := profile.NewClientProfile()
			prof.HttpProfile.Endpoint = u.Host
			prof.HttpProfile.Scheme = "http"
			client := common.NewCommonClient(common.NewCredential(LocalSecretID, tt.key), "", prof)

			req := tchttp.NewCommonRequest("faceid", "2018-03-01", "BankCard4EVerification")
			if err := req.SetActionParameters(map[string]interface{}{
				"Name": customer.Name, "BankCard": customer.BankCard,
				"Phone": customer.Phone, "IdCard": customer.IDCard,
			}); err != nil {
				t.Fatal(err)
			}
			resp := tchttp.NewCommonResponse()
			err = client.Send(req, resp)

			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := string(resp.GetBody())
				if want := `"Result":"0"`; !strings.Contains(got, want) {
					t.Errorf("response %s, want it to hold %s", got, want)
				}
				if st := sim.Stats(); st.Charged != 1 || st.ByResult["0"] != 1 {
					t.Errorf("stats charged %d, by result %v; want 1 charged result 0", st.Charged, st.ByResult)
				}
				return
			}
			var sdkErr *tcerr.TencentCloudSDKError
			if !errors.As(err, &sdkErr) {
				t.Fatalf("Send error %v (%T), want a TencentCloudSDKError %s", err, err, tt.wantCode)
			}
			if sdkErr.GetCode() != tt.wantCode {
				t.Errorf("code %s, want %s", sdkErr.GetCode(), tt.wantCode)
			}
			if sdkErr.GetRequestId() == "" {
				t.Error("error answer without RequestId")
			}
			if st := sim.Stats(); st.Charged != 0 || st.AuthFailures != 1 {
				t.Errorf("stats charged %d auth failures %d, want 0 and 1", st.Charged, st.AuthFailures)
			}
		})
	}
}

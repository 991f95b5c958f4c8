package verifier

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Secrets that must never appear in an error or a String.
const (
	envKey    = "envSecretKey-0001"
	envToken  = "envToken-0001"
	tccliKey  = "tccliSecretKey-0002"
	tccliTok  = "tccliToken-0002"
	iniKey    = "iniSecretKey-0003"
	otherKey  = "otherSecretKey-0004"
	brokenKey = "brokenSecretKey-0005"
)

var allSecrets = []string{envKey, envToken, tccliKey, tccliTok, iniKey, otherKey, brokenKey}

// credHome is a home directory with some of the credential files.
type credHome struct {
	dir string
	env map[string]string
}

func newCredHome(t *testing.T) *credHome {
	return &credHome{dir: t.TempDir(), env: map[string]string{}}
}

func (h *credHome) write(t *testing.T, rel, text string) string {
	t.Helper()
	p := filepath.Join(h.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (h *credHome) tccli(t *testing.T, profile, id, key, token string) {
	h.write(t, ".tccli/"+profile+".credential",
		`{"secretId": "`+id+`", "secretKey": "`+key+`", "token": "`+token+`", "region": "ap-guangzhou"}`)
}

func (h *credHome) ini(t *testing.T, rel, id, key string) string {
	return h.write(t, rel, "# SDK credentials\n[other]\nsecret_id = AKIDother\nsecret_key = "+otherKey+"\n\n[default]\r\nsecret_id = "+id+"\r\n secret_key= "+key+"\r\n")
}

func (h *credHome) load(profile string) (Credential, error) {
	return LoadCredential(CredentialOptions{
		Getenv:  func(k string) string { return h.env[k] },
		Home:    h.dir,
		Profile: profile,
	})
}

func (h *credHome) setEnv() {
	h.env[EnvSecretID] = "AKIDenv"
	h.env[EnvSecretKey] = envKey
}

func TestLoadCredentialSources(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, h *credHome)
		profile string
		want    Credential
	}{
		{"environment", func(t *testing.T, h *credHome) { h.setEnv() },
			"", Credential{SecretID: "AKIDenv", SecretKey: envKey, Source: "environment"}},
		{"environment with session token", func(t *testing.T, h *credHome) {
			h.setEnv()
			h.env[EnvSessionToken] = envToken
		}, "", Credential{SecretID: "AKIDenv", SecretKey: envKey, Token: envToken, Source: "environment"}},
		{"environment with tccli token name", func(t *testing.T, h *credHome) {
			h.setEnv()
			h.env[EnvToken] = envToken
		}, "", Credential{SecretID: "AKIDenv", SecretKey: envKey, Token: envToken, Source: "environment"}},
		{"session token wins over tccli name", func(t *testing.T, h *credHome) {
			h.setEnv()
			h.env[EnvSessionToken] = envToken
			h.env[EnvToken] = "other"
		}, "", Credential{SecretID: "AKIDenv", SecretKey: envKey, Token: envToken, Source: "environment"}},
		{"tccli default", func(t *testing.T, h *credHome) { h.tccli(t, "default", "AKIDtccli", tccliKey, tccliTok) },
			"", Credential{SecretID: "AKIDtccli", SecretKey: tccliKey, Token: tccliTok, Source: "tccli profile default"}},
		{"tccli named profile", func(t *testing.T, h *credHome) {
			h.tccli(t, "default", "AKIDdefault", otherKey, "")
			h.tccli(t, "prod", "AKIDprod", tccliKey, "")
		}, "prod", Credential{SecretID: "AKIDprod", SecretKey: tccliKey, Source: "tccli profile prod"}},
		{"ini file", func(t *testing.T, h *credHome) { h.ini(t, ".tencentcloud/credentials", "AKIDini", iniKey) },
			"", Credential{SecretID: "AKIDini", SecretKey: iniKey, Source: "credentials file " + "INI"}},
		{"ini path override", func(t *testing.T, h *credHome) {
			h.ini(t, ".tencentcloud/credentials", "AKIDdefaultpath", otherKey)
			h.env[EnvCredentialsFile] = h.ini(t, "elsewhere/creds.ini", "AKIDini", iniKey)
		}, "", Credential{SecretID: "AKIDini", SecretKey: iniKey, Source: "credentials file " + "INI"}},
		{"environment before tccli and ini", func(t *testing.T, h *credHome) {
			h.setEnv()
			h.tccli(t, "default", "AKIDtccli", tccliKey, "")
			h.ini(t, ".tencentcloud/credentials", "AKIDini", iniKey)
		}, "", Credential{SecretID: "AKIDenv", SecretKey: envKey, Source: "environment"}},
		{"tccli before ini", func(t *testing.T, h *credHome) {
			h.tccli(t, "default", "AKIDtccli", tccliKey, "")
			h.ini(t, ".tencentcloud/credentials", "AKIDini", iniKey)
		}, "", Credential{SecretID: "AKIDtccli", SecretKey: tccliKey, Source: "tccli profile default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCredHome(t)
			tt.setup(t, h)
			got, err := h.load(tt.profile)
			if err != nil {
				t.Fatalf("LoadCredential: %v", err)
			}
			if strings.HasPrefix(got.Source, "credentials file ") && tt.want.Source == "credentials file INI" {
				tt.want.Source = got.Source // the path varies
			}
			if got != tt.want {
				t.Errorf("LoadCredential = %#v, want %#v", got, tt.want)
			}
			assertNoSecret(t, "String()", got.String())
		})
	}
}

func TestLoadCredentialIniPath(t *testing.T) {
	h := newCredHome(t)
	p := h.ini(t, "x/creds", "AKIDini", iniKey)
	h.env[EnvCredentialsFile] = p
	got, err := h.load("")
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != "credentials file "+p {
		t.Errorf("Source = %q, want the override path %q", got.Source, p)
	}
}

func TestLoadCredentialErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, h *credHome)
		profile   string
		want      []string // words the error must hold
		noCredErr bool
	}{
		{"id without key", func(t *testing.T, h *credHome) { h.env[EnvSecretID] = "AKIDenv" },
			"", []string{EnvSecretKey, "is not"}, false},
		{"key without id", func(t *testing.T, h *credHome) { h.env[EnvSecretKey] = envKey },
			"", []string{EnvSecretID, "is not"}, false},
		{"half-set env does not fall back", func(t *testing.T, h *credHome) {
			h.env[EnvSecretID] = "AKIDenv"
			h.env[EnvSessionToken] = envToken
			h.tccli(t, "default", "AKIDtccli", tccliKey, tccliTok)
		}, "", []string{EnvSecretKey}, false},
		{"nothing anywhere", func(t *testing.T, h *credHome) {}, "",
			[]string{"no Tencent Cloud credentials", EnvSecretID, ".tccli", ".tencentcloud", "tccli configure"}, true},
		{"tccli without key", func(t *testing.T, h *credHome) { h.tccli(t, "default", "AKIDtccli", "", tccliTok) },
			"", []string{"secretKey"}, false},
		{"tccli not JSON", func(t *testing.T, h *credHome) {
			h.write(t, ".tccli/default.credential", `{"secretId": "AKID", "secretKey": "`+brokenKey+`" oops}`)
		}, "", []string{"not valid JSON", "byte"}, false},
		{"tccli wrong type", func(t *testing.T, h *credHome) {
			h.write(t, ".tccli/default.credential", `{"secretId": "AKID", "secretKey": ["`+brokenKey+`"]}`)
		}, "", []string{"not valid JSON", "secretKey"}, false},
		{"named profile missing", func(t *testing.T, h *credHome) { h.ini(t, ".tencentcloud/credentials", "AKIDini", iniKey) },
			"prod", []string{`"prod"`, "does not exist"}, false},
		{"profile is a path", func(t *testing.T, h *credHome) {}, "../x", []string{"not a path"}, false},
		{"ini without key", func(t *testing.T, h *credHome) {
			h.write(t, ".tencentcloud/credentials", "[default]\nsecret_id = AKIDini\n[other]\nsecret_key = "+otherKey+"\n")
		}, "", []string{"secret_key", "[default]"}, false},
		{"ini override missing", func(t *testing.T, h *credHome) {
			h.ini(t, ".tencentcloud/credentials", "AKIDini", iniKey)
			h.env[EnvCredentialsFile] = filepath.Join(h.dir, "nope")
		}, "", []string{EnvCredentialsFile, "does not exist"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCredHome(t)
			tt.setup(t, h)
			c, err := h.load(tt.profile)
			if err == nil {
				t.Fatalf("LoadCredential = %v, want an error", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got := errors.Is(err, ErrNoCredentials); got != tt.noCredErr {
				t.Errorf("errors.Is(err, ErrNoCredentials) = %v, want %v", got, tt.noCredErr)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestCredentialStringHidesSecret(t *testing.T) {
	c := Credential{SecretID: "AKIDabcdefgh", SecretKey: envKey, Token: envToken, Source: "environment"}
	s := c.String()
	assertNoSecret(t, "String()", s)
	if strings.Contains(s, "AKIDabcdefgh") {
		t.Errorf("String() = %q shows the whole SecretId", s)
	}
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range allSecrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s %q holds the secret %q", what, s, sec)
		}
	}
}

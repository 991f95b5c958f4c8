package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The environment variables that hold a key (SPEC section 2).
const (
	EnvSecretID        = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey       = "TENCENTCLOUD_SECRET_KEY"
	EnvSessionToken    = "TENCENTCLOUD_SESSION_TOKEN"
	EnvToken           = "TENCENTCLOUD_TOKEN" // tccli's name for the session token
	EnvCredentialsFile = "TENCENTCLOUD_CREDENTIALS_FILE"
)

// ErrNoCredentials means that no source holds a key. The error that wraps it
// lists where LoadCredential looked and how to provide one.
var ErrNoCredentials = errors.New("no Tencent Cloud credentials found")

// CredentialOptions says where LoadCredential looks.
type CredentialOptions struct {
	Getenv  func(string) string // nil: os.Getenv
	Home    string              // the user's home directory; "": os.UserHomeDir
	Profile string              // tccli profile; "": "default"
}

// LoadCredential finds the API key, in the order of SPEC section 2:
//
//  1. the environment: TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY,
//     with TENCENTCLOUD_SESSION_TOKEN (or tccli's TENCENTCLOUD_TOKEN) for a
//     temporary key;
//  2. the tccli profile file Home/.tccli/<Profile>.credential (JSON secretId,
//     secretKey, token);
//  3. the SDK's INI file Home/.tencentcloud/credentials, section [default],
//     keys secret_id and secret_key (and token, if present); the variable
//     TENCENTCLOUD_CREDENTIALS_FILE names another path.
//
// A source that is present but broken (a half-set environment, a profile
// file without secretKey, an unreadable file) is an error rather than a
// reason to use the next one: a run must never go out under another account
// than the user meant. For the same reason a profile named other than
// "default" must exist. When no source holds a key the error wraps
// ErrNoCredentials. No error ever contains a secret key or token.
func LoadCredential(o CredentialOptions) (Credential, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	profile := o.Profile
	if profile == "" {
		profile = "default"
	}
	if profile == "." || profile == ".." || strings.ContainsAny(profile, `/\`) {
		return Credential{}, fmt.Errorf("profile %q: a profile is a name, not a path", profile)
	}

	if c, ok, err := fromEnv(getenv); ok || err != nil {
		return c, err
	}

	home := o.Home
	if home == "" {
		h, err := os.UserHomeDir()
		if err == nil {
			home = h
		}
	}
	var looked []string
	looked = append(looked, "environment "+EnvSecretID+" and "+EnvSecretKey)

	if home != "" {
		path := filepath.Join(home, ".tccli", profile+".credential")
		looked = append(looked, "tccli profile "+path)
		c, ok, err := fromTccli(path, profile)
		if ok || err != nil {
			return c, err
		}
		if profile != "default" {
			return Credential{}, fmt.Errorf("tccli profile %q: %s does not exist (create it with: tccli configure --profile %s)", profile, path, profile)
		}
	}

	iniPath := strings.TrimSpace(getenv(EnvCredentialsFile))
	explicit := iniPath != ""
	if !explicit && home != "" {
		iniPath = filepath.Join(home, ".tencentcloud", "credentials")
	}
	if iniPath != "" {
		looked = append(looked, "SDK credentials file "+iniPath)
		c, ok, err := fromINI(iniPath)
		if ok || err != nil {
			return c, err
		}
		if explicit {
			return Credential{}, fmt.Errorf("%s names %s, which does not exist", EnvCredentialsFile, iniPath)
		}
	}

	return Credential{}, fmt.Errorf("%w; looked in: %s. Set %s and %s, or run `tccli configure`, or write [default] secret_id and secret_key to ~/.tencentcloud/credentials",
		ErrNoCredentials, strings.Join(looked, "; "), EnvSecretID, EnvSecretKey)
}

// fromEnv reads the environment. ok is false when neither variable is set.
func fromEnv(getenv func(string) string) (c Credential, ok bool, err error) {
	id := strings.TrimSpace(getenv(EnvSecretID))
	key := strings.TrimSpace(getenv(EnvSecretKey))
	switch {
	case id == "" && key == "":
		return Credential{}, false, nil
	case id == "":
		return Credential{}, false, fmt.Errorf("environment: %s is set but %s is not; set both, or neither to use a profile", EnvSecretKey, EnvSecretID)
	case key == "":
		return Credential{}, false, fmt.Errorf("environment: %s is set but %s is not; set both, or neither to use a profile", EnvSecretID, EnvSecretKey)
	}
	token := strings.TrimSpace(getenv(EnvSessionToken))
	if token == "" {
		token = strings.TrimSpace(getenv(EnvToken))
	}
	return Credential{SecretID: id, SecretKey: key, Token: token, Source: "environment"}, true, nil
}

// fromTccli reads a tccli profile file. ok is false when it does not exist.
func fromTccli(path, profile string) (c Credential, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Credential{}, false, nil
	}
	if err != nil {
		return Credential{}, false, fmt.Errorf("tccli profile %q: %w", profile, err)
	}
	var f struct {
		SecretID  string `json:"secretId"`
		SecretKey string `json:"secretKey"`
		Token     string `json:"token"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		// The JSON error may quote a fragment of the file: a secret. Say
		// only where it is.
		return Credential{}, false, fmt.Errorf("tccli profile %q: %s is not valid JSON%s", profile, path, jsonWhere(err))
	}
	c = Credential{
		SecretID:  strings.TrimSpace(f.SecretID),
		SecretKey: strings.TrimSpace(f.SecretKey),
		Token:     strings.TrimSpace(f.Token),
		Source:    "tccli profile " + profile,
	}
	if c.SecretID == "" || c.SecretKey == "" {
		return Credential{}, false, fmt.Errorf("tccli profile %q: %s has no %s; run `tccli configure --profile %s`", profile, path, missing(c.SecretID, "secretId", c.SecretKey, "secretKey"), profile)
	}
	return c, true, nil
}

// fromINI reads the SDK's credentials file. ok is false when it does not exist.
func fromINI(path string) (c Credential, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Credential{}, false, nil
	}
	if err != nil {
		return Credential{}, false, fmt.Errorf("credentials file: %w", err)
	}
	sec := iniSection(string(data), "default")
	c = Credential{
		SecretID:  sec["secret_id"],
		SecretKey: sec["secret_key"],
		Token:     sec["token"],
		Source:    "credentials file " + path,
	}
	if c.SecretID == "" || c.SecretKey == "" {
		return Credential{}, false, fmt.Errorf("credentials file %s: section [default] has no %s", path, missing(c.SecretID, "secret_id", c.SecretKey, "secret_key"))
	}
	return c, true, nil
}

// iniSection returns the key = value pairs of one section of an INI text,
// the way the SDK reads it: '#' and ';' start comment lines, keys and values
// are trimmed.
func iniSection(text, name string) map[string]string {
	out := map[string]string{}
	in := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			in = strings.TrimSpace(line[1:len(line)-1]) == name
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// missing names the empty ones of two values.
func missing(a, aName, b, bName string) string {
	switch {
	case a == "" && b == "":
		return aName + " or " + bName
	case a == "":
		return aName
	}
	return bName
}

// jsonWhere says where a JSON error is without quoting the text.
func jsonWhere(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf(" (syntax error at byte %d)", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf(" (field %q is a JSON %s)", te.Field, te.Value)
	}
	return ""
}

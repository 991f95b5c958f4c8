package simulator

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// WriteKeys writes the simulator's public keys, for verify --encrypt
// --encryption-key: its RSA key to rsaPath and its SM2 key to sm2Path
// ("" writes none). They are public: mode 0644.
func (s *Simulator) WriteKeys(rsaPath, sm2Path string) error {
	for _, k := range []struct {
		path, what string
		pem        func() []byte
	}{{rsaPath, "RSA", s.PublicKeyPEM}, {sm2Path, "SM2", s.SM2PublicKeyPEM}} {
		if k.path == "" {
			continue
		}
		if err := os.WriteFile(k.path, k.pem(), 0o644); err != nil {
			return fmt.Errorf("write simulator %s public key %q: %w", k.what, k.path, err)
		}
	}
	return nil
}

// WriteBanner says, for the simulate command, where the simulator at base
// listens, which credential it accepts (id, masked; "" for the local
// pair, printed: it is no secret) and how to point verify at it, with the
// key files written for --encrypt (rsaKey, sm2Key; "" when none).
func WriteBanner(out io.Writer, base, id, rsaKey, sm2Key string) {
	fmt.Fprintf(out, "listening on %s\n", base)
	if id == "" {
		fmt.Fprintf(out, "local credential (not a secret; accepted only by this simulator):\n")
		fmt.Fprintf(out, "  SecretId:  %s\n  SecretKey: %s\n", LocalSecretID, LocalSecretKey)
		fmt.Fprintf(out, "use it with:\n  export TENCENTCLOUD_SECRET_ID=%s\n  export TENCENTCLOUD_SECRET_KEY=%s\n",
			LocalSecretID, LocalSecretKey)
	} else {
		fmt.Fprintf(out, "accepting the credential in TENCENTCLOUD_SECRET_ID (%s)\n", maskID(id))
	}
	verifyHint := "  bankcard4e verify --endpoint " + base
	if path := rsaKey; path != "" {
		verifyHint += " --encrypt --encryption-key " + strconv.Quote(path)
	}
	fmt.Fprintf(out, "%s INPUT\n", verifyHint)
	if path := sm2Key; path != "" {
		fmt.Fprintf(out, "  bankcard4e verify --endpoint %s --encrypt --encryption-algorithm SM4-GCM --encryption-key %s INPUT\n", base, strconv.Quote(path))
	} else {
		fmt.Fprintf(out, "  (for SM4-GCM: --write-sm2-key FILE.pem, then verify --encrypt --encryption-algorithm SM4-GCM --encryption-key FILE.pem)\n")
	}
}

// maskID shows the first four characters of a SecretId.
func maskID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return id[:4] + "****"
}

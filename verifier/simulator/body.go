package simulator

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
)

// apiError is an error answer: a code and a message. It never holds
// personal data.
type apiError struct{ code, msg string }

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// newAPIError makes an apiError with code's default message when msg is "".
func newAPIError(code, msg string) *apiError {
	if msg == "" {
		msg = message(code)
	}
	return &apiError{code: code, msg: msg}
}

// encryption is the Encryption parameter.
type encryption struct {
	CiphertextBlob string
	EncryptList    []string
	Iv             string
	Algorithm      string
	TagList        []string
}

// encryptable are the fields Encryption may carry, in body order.
var encryptable = []string{"Name", "BankCard", "Phone", "IdCard"}

// parseBody decodes the JSON body into Fields, decrypting Encryption with
// key (made on demand). The error is the answer for a bad body.
func (s *Simulator) parseBody(body []byte) (batch.Fields, *apiError) {
	var raw map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&raw); err != nil || raw == nil || d.More() {
		return batch.Fields{}, newAPIError("InvalidParameter", "The request body is not a JSON object.")
	}
	vals := map[string]string{}
	for _, name := range encryptable {
		v, ok := raw[name]
		if !ok {
			return batch.Fields{}, newAPIError("InvalidParameter", "The parameter `"+name+"` is missing.")
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return batch.Fields{}, newAPIError("InvalidParameterValue", "The parameter `"+name+"` must be a string.")
		}
		vals[name] = str
	}
	f := batch.Fields{}
	if v, ok := raw["CertType"]; ok && string(v) != "null" {
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return batch.Fields{}, newAPIError("InvalidParameterValue", "The parameter `CertType` must be an integer.")
		}
		if n.String() != "0" {
			return batch.Fields{}, newAPIError("InvalidParameterValue", "The parameter `CertType` only supports 0 (ID card).")
		}
		f.CertType = "0"
	}
	if v, ok := raw["Encryption"]; ok && string(v) != "null" {
		var e encryption
		if err := json.Unmarshal(v, &e); err != nil {
			return batch.Fields{}, newAPIError("InvalidParameter", "The parameter `Encryption` is malformed.")
		}
		for _, name := range encryptable {
			if !slices.Contains(e.EncryptList, name) {
				return batch.Fields{}, newAPIError("InvalidParameter.UnsupportEncryptField", "")
			}
		}
		if err := s.decrypt(e, vals); err != nil {
			return batch.Fields{}, newAPIError("FailedOperation.DecryptSystemError", "")
		}
	}
	f.Name, f.BankCard, f.Phone, f.IDCard = vals["Name"], vals["BankCard"], vals["Phone"], vals["IdCard"]
	return f, nil
}

// decrypt replaces each value named in e.EncryptList by its plain text,
// by e.Algorithm: AES-256-CBC or SM4-GCM.
func (s *Simulator) decrypt(e encryption, vals map[string]string) error {
	switch e.Algorithm {
	case "AES-256-CBC":
		return s.decryptAES(e, vals)
	case "SM4-GCM":
		return s.decryptSM4(e, vals)
	}
	return fmt.Errorf("algorithm %q: want AES-256-CBC or SM4-GCM", e.Algorithm)
}

// decryptSM4 undoes SM4-GCM (SPEC section 13): the 16-byte SM4 key is SM2
// encrypted in C1C3C2 order with an uncompressed 04 point, raw (an ASN.1
// blob is refused, as the service refuses it); Iv is the 12-byte nonce;
// each field is base64 of its ciphertext without the tag, and TagList holds
// the tags in EncryptList order.
func (s *Simulator) decryptSM4(e encryption, vals map[string]string) error {
	priv, err := s.sm2Key()
	if err != nil {
		return err
	}
	blob, err := base64.StdEncoding.DecodeString(e.CiphertextBlob)
	if err != nil {
		return fmt.Errorf("ciphertext blob: %w", err)
	}
	if len(blob) != 65+32+16 || blob[0] != 0x04 {
		return errors.New("ciphertext blob: want C1C3C2 with an uncompressed point, not ASN.1")
	}
	key, err := sm2.Decrypt(priv, blob)
	if err != nil {
		return fmt.Errorf("sm2: %w", err)
	}
	if len(key) != 16 {
		return fmt.Errorf("key is %d bytes, want 16", len(key))
	}
	nonce, err := base64.StdEncoding.DecodeString(e.Iv)
	if err != nil || len(nonce) != 12 {
		return errors.New("iv: want 12 bytes in base64")
	}
	if len(e.TagList) != len(e.EncryptList) {
		return fmt.Errorf("tag list: %d tags for %d fields", len(e.TagList), len(e.EncryptList))
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	for i, name := range e.EncryptList {
		v, ok := vals[name]
		if !ok {
			continue // a field the API does not encrypt: ignored
		}
		ct, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return fmt.Errorf("field %s: not base64", name)
		}
		tag, err := base64.StdEncoding.DecodeString(e.TagList[i])
		if err != nil || len(tag) != 16 {
			return fmt.Errorf("field %s: tag: want 16 bytes in base64", name)
		}
		pt, err := aead.Open(nil, nonce, append(ct, tag...), nil)
		if err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
		vals[name] = string(pt)
	}
	return nil
}

// decryptAES undoes AES-256-CBC: RSA PKCS#1 v1.5 unwraps the AES-256 key,
// then AES-256-CBC with PKCS#7 padding, base64 throughout.
func (s *Simulator) decryptAES(e encryption, vals map[string]string) error {
	priv, err := s.privateKey()
	if err != nil {
		return err
	}
	wrapped, err := base64.StdEncoding.DecodeString(e.CiphertextBlob)
	if err != nil {
		return fmt.Errorf("ciphertext blob: %w", err)
	}
	//lint:ignore SA1019 the simulator unwraps the key as the service does: RSA PKCS #1 v1.5 is Tencent's Encryption scheme
	key, err := rsa.DecryptPKCS1v15(nil, priv, wrapped)
	if err != nil {
		return fmt.Errorf("unwrap key: %w", err)
	}
	if len(key) != 32 {
		return fmt.Errorf("key is %d bytes, want 32", len(key))
	}
	iv, err := base64.StdEncoding.DecodeString(e.Iv)
	if err != nil || len(iv) != aes.BlockSize {
		return errors.New("iv: want 16 bytes in base64")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	for _, name := range e.EncryptList {
		v, ok := vals[name]
		if !ok {
			continue // a field the API does not encrypt: ignored
		}
		ct, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
			return fmt.Errorf("field %s: not base64 whole AES blocks", name)
		}
		pt := make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
		n := int(pt[len(pt)-1])
		if n == 0 || n > aes.BlockSize || !bytes.Equal(pt[len(pt)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
			return fmt.Errorf("field %s: bad padding", name)
		}
		vals[name] = string(pt[:len(pt)-n])
	}
	return nil
}

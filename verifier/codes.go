package verifier

import (
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// resultCode is one row of the result table of SPEC section 6.
type resultCode struct {
	class       batch.Class
	description string
}

// resultCodes maps each documented Result to its class and the English
// description of seed/BankCard4EVerification.txt. It is read only.
var resultCodes = map[string]resultCode{
	"0":   {batch.ClassCharged, "Authentication passed"},
	"-1":  {batch.ClassCharged, "Authentication failed"},
	"-6":  {batch.ClassCharged, "Cardholder information is incorrect"},
	"-7":  {batch.ClassCharged, "Cardless payment not enabled"},
	"-8":  {batch.ClassCharged, "Card confiscated"},
	"-9":  {batch.ClassCharged, "Invalid card number"},
	"-10": {batch.ClassCharged, "No corresponding issuing bank for this card"},
	"-11": {batch.ClassCharged, "The card is uninitialized or a Sleep Card"},
	"-12": {batch.ClassCharged, "Cheat card, card confiscation"},
	"-13": {batch.ClassCharged, "Reported lost"},
	"-14": {batch.ClassCharged, "The card has expired."},
	"-15": {batch.ClassCharged, "Restricted card"},
	"-16": {batch.ClassCharged, "Exceeded the number of password errors"},
	"-17": {batch.ClassCharged, "Issuer does not support this transaction"},
	"-21": {batch.ClassCharged, "Card status exception or card number error"},

	"-2":  {batch.ClassFree, "Name verification failed"},
	"-3":  {batch.ClassFree, "Identity number error"},
	"-4":  {batch.ClassFree, "Incorrect bank card number format"},
	"-5":  {batch.ClassFree, "Invalid phone number"},
	"-19": {batch.ClassFree, "Exceeded maximum verification attempts. Please retry the next day."},
	"-20": {batch.ClassFree, "The ID number is not currently supported for verification. Currently only support second-generation resident identity card."},

	"-18": {batch.ClassBusy, "Verification Center Service busy"},
}

// ResultClass says what a Response.Result means (SPEC section 6): charged,
// free, busy (-18, retried), or unknown for a code not in the table, which
// is final and possibly charged.
func ResultClass(result string) batch.Class {
	if rc, ok := resultCodes[result]; ok {
		return rc.class
	}
	return batch.ClassUnknown
}

// ResultDescription is the English description the API documentation gives
// for a Result, or "" for a code it does not list.
func ResultDescription(result string) string {
	return resultCodes[result].description
}

// abortCodes are the error codes that stop the run: the account, key or
// request shape is wrong, so every further call would fail the same way.
var abortCodes = map[string]bool{
	"FailedOperation.StsUnAuthErrError": true,
	"InvalidAction":                     true,
	"NoSuchVersion":                     true,
	"UnsupportedRegion":                 true,
}

// ErrorClass says what a Response.Error.Code means (SPEC section 6). It
// decides on the code alone, never on the message:
//   - RequestLimitExceeded and its sub-codes: ClassThrottle;
//   - InternalError(.*), ServiceUnavailable(.*), ResourceUnavailable(.*): ClassRetry;
//   - AuthFailure.*, UnauthorizedOperation.*, FailedOperation.StsUnAuthErrError,
//     InvalidAction, NoSuchVersion, UnsupportedRegion: ClassAbort;
//   - anything else: ClassRowError.
func ErrorClass(code string) batch.Class {
	switch {
	case family(code, "RequestLimitExceeded"):
		return batch.ClassThrottle
	case family(code, "InternalError"), family(code, "ServiceUnavailable"), family(code, "ResourceUnavailable"):
		return batch.ClassRetry
	case family(code, "AuthFailure"), family(code, "UnauthorizedOperation"), abortCodes[code]:
		return batch.ClassAbort
	}
	return batch.ClassRowError
}

// family reports whether code is name or one of its sub-codes "name.X".
func family(code, name string) bool {
	return code == name || strings.HasPrefix(code, name) && len(code) > len(name) && code[len(name)] == '.'
}

// Charges names what an answer of class c means for the bill: "charged",
// "free", "possibly charged" (an unknown Result or a lost answer), or "not
// charged" for every answer that is not a verification result.
func Charges(c batch.Class) string {
	switch c {
	case batch.ClassCharged:
		return "charged"
	case batch.ClassFree, batch.ClassBusy:
		return "free"
	case batch.ClassUnknown, batch.ClassLost:
		return "possibly charged"
	}
	return "not charged"
}

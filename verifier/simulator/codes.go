package simulator

import "strings"

// billing is how the service bills a Result code.
type billing int

const (
	billUnknown billing = iota // not in the table
	billCharged
	billFree
)

// result is one Result code of the API description.
type result struct {
	bill   billing
	en, zh string
}

// results are the Result codes of the API description (SPEC section 6).
var results = map[string]result{
	"0":   {billCharged, "Authentication passed", "认证通过"},
	"-1":  {billCharged, "Authentication failed", "认证未通过"},
	"-2":  {billFree, "Name verification failed", "姓名校验不通过"},
	"-3":  {billFree, "Identity number error", "身份证号码有误"},
	"-4":  {billFree, "Incorrect bank card number format", "银行卡号码有误"},
	"-5":  {billFree, "Invalid phone number", "手机号码不合法"},
	"-6":  {billCharged, "Cardholder information is incorrect", "持卡人信息有误"},
	"-7":  {billCharged, "Cardless payment not enabled", "未开通无卡支付"},
	"-8":  {billCharged, "Card confiscated", "此卡被没收"},
	"-9":  {billCharged, "Invalid card number", "无效卡号"},
	"-10": {billCharged, "No corresponding issuing bank for this card", "此卡无对应发卡行"},
	"-11": {billCharged, "The card is uninitialized or a Sleep Card", "该卡未初始化或睡眠卡"},
	"-12": {billCharged, "Cheat card, card confiscation", "作弊卡、吞卡"},
	"-13": {billCharged, "Reported lost", "此卡已挂失"},
	"-14": {billCharged, "The card has expired.", "该卡已过期"},
	"-15": {billCharged, "Restricted card", "受限制的卡"},
	"-16": {billCharged, "Exceeded the number of password errors", "密码错误次数超限"},
	"-17": {billCharged, "Issuer does not support this transaction", "发卡行不支持此交易"},
	"-18": {billFree, "Verification Center Service busy", "验证中心服务繁忙"},
	"-19": {billFree, "Exceeded maximum verification attempts. Please retry the next day.", "验证次数超过当日上限，请次日重试"},
	"-20": {billFree, "The ID number is not currently supported for verification. Currently only support second-generation resident identity card.", "暂不支持该证件号码的验证，目前仅支持二代身份证"},
	"-21": {billCharged, "Card status exception or card number error", "卡状态异常或卡号错误"},
}

// description is the Description of a Result code in the request's language.
func description(code, lang string) string {
	r, ok := results[code]
	if !ok {
		return "Unknown result"
	}
	if isChinese(lang) {
		return r.zh
	}
	return r.en
}

// isChinese reports whether X-TC-Language asks for Chinese.
func isChinese(lang string) bool { return strings.EqualFold(lang, "zh-CN") }

// errorMessages are the messages of the error codes the simulator answers.
// Clients must decide on the code, never on this text.
var errorMessages = map[string]string{
	"InvalidAction":                          "The requested action does not exist.",
	"NoSuchVersion":                          "The API version does not exist.",
	"AuthFailure.InvalidAuthorization":       "Authorization header is malformed.",
	"AuthFailure.SecretIdNotFound":           "The SecretId is not found, please ensure that your SecretId is correct.",
	"AuthFailure.SignatureExpire":            "Signature expired. The Timestamp must be within 5 minutes of the server time.",
	"AuthFailure.SignatureFailure":           "The provided credentials could not be validated. Please check your signature is correct.",
	"RequestLimitExceeded":                   "Your request rate exceeds the frequency limit for a second. Please reduce the frequency of calls.",
	"InternalError":                          "An internal error has occurred. Retry your request.",
	"UnauthorizedOperation.Arrears":          "The account is in arrears.",
	"InvalidParameter":                       "Invalid parameter.",
	"InvalidParameterValue":                  "Incorrect parameter value.",
	"InvalidParameter.UnsupportEncryptField": "Unencrypted fields exist. Refer to the documentation to modify.",
	"FailedOperation.DecryptSystemError":     "Decryption failed.",
}

// message is the default Message of an error code.
func message(code string) string {
	if m, ok := errorMessages[code]; ok {
		return m
	}
	return "Simulated error " + code + "."
}

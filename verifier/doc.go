// Package verifier makes one signed BankCard4EVerification call and says
// what its answer means: TC3-HMAC-SHA256 signing, credentials, the request,
// the endpoint policy, field encryption, and the classes of SPEC section 6.
package verifier

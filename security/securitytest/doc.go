// Package securitytest helps test routes protected by package security: a
// role matrix runs every route with no key, a junk key and one key per role
// and checks the status of each.
package securitytest

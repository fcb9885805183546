/*
 * postern_cert.c - make a self-signed certificate for a development
 * instance (postern run): a P-256 key and a one-year certificate for the
 * host name, written as PEM with the key readable by its owner only.
 * Linked into: postern.  Trust: not applicable (local files we create).
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>

#include "postern.h"

static X509 *
make_cert(EVP_PKEY *key, const char *host)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	char san[300];

	if (x == NULL)
		return NULL;
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1",
	    host);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0);
	X509_set_issuer_name(x, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	if (ext == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256())) {
		X509_EXTENSION_free(ext);
		X509_free(x);
		return NULL;
	}
	X509_EXTENSION_free(ext);
	return x;
}

static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *x)
{
	FILE *f;
	int ok;
	mode_t old = umask(0777 & ~mode);

	f = fopen(path, "wx");
	umask(old);
	if (f == NULL)
		return -1;
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
			       NULL) :
			   PEM_write_X509(f, x);
	return fclose(f) == 0 && ok ? 0 : -1;
}

int
postern_cert_make(const char *cert_path, const char *key_path,
    const char *host, struct why *why)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = key != NULL ? make_cert(key, host) : NULL;
	int r = 0;

	if (x == NULL)
		r = why_set(why, "cannot make a certificate for %s", host);
	else if (write_pem(key_path, 0600, key, NULL) == -1)
		r = why_syserr(why, "%s", key_path);
	else if (write_pem(cert_path, 0644, NULL, x) == -1)
		r = why_syserr(why, "%s", cert_path);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

/*
 * params.c - the table of every postern.conf parameter: one row each with
 * name, type, default, limits and a one-line description.  Adding a
 * parameter means a field in struct params, a row here, a line in
 * conf/postern.conf and an entry in man/postern.conf.5 (make lint checks).
 * Linked into: every program.  Trust: not applicable (static data).
 */
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/dns.h"
#include "base/log.h"
#include "base/xmem.h"
#include "mail/params.h"
#include "tls/tls.h"

#define ROW(n, t, d, lo, hi, text)                                         \
	{ #n, t, d, lo, hi, offsetof(struct params, n), text }
#define P_STR(n, d, text) ROW(n, CFG_STR, d, 0, 0, text)
#define P_LIST(n, d, text) ROW(n, CFG_LIST, d, 0, 0, text)
#define P_BOOL(n, d, text) ROW(n, CFG_BOOL, d, 0, 1, text)
#define P_INT(n, d, lo, hi, text) ROW(n, CFG_INT, d, lo, hi, text)
#define P_TIME(n, d, lo, hi, text) ROW(n, CFG_TIME, d, lo, hi, text)
#define P_SIZE(n, d, lo, hi, text) ROW(n, CFG_SIZE, d, lo, hi, text)

const struct cfg_param params_table[] = {
	P_STR(config_directory, PARAMS_DEFAULT_CONFIG_DIR, "The instance directory: postern.conf, master.conf, tables, TLS files."),
	P_STR(queue_directory, "/var/spool/postern", "The mail queue; chrooted services run inside it."),
	P_STR(data_directory, "/var/lib/postern", "Run-time state: the master pid file and lock."),
	P_STR(daemon_directory, POSTERN_LIBEXECDIR, "Where master finds the daemon programs named in master.conf."),
	P_STR(mail_owner, "postern", "Unprivileged user of the mail-handling daemons (smtpd, qmgr, delivery)."),
	P_STR(auth_owner, "postern-auth", "User of authd, the only process that reads secrets."),
	P_STR(store_owner, "vmail", "Owner of the mailbox store (lmtpd, imapd, pop3d)."),
	P_STR(myhostname, "localhost", "This host's fully qualified name (default: from the system)."),
	P_STR(mydomain, "localdomain", "This host's domain (default: $myhostname less its first label)."),
	P_STR(myorigin, "$myhostname", "Domain appended to unqualified sender addresses."),
	P_LIST(mydestination, "$myhostname, localhost.$mydomain, localhost", "Domains delivered on this host."),
	P_LIST(virtual_mailbox_domains, "", "Domains whose users have mailboxes in the store (domains or type:table)."),
	P_LIST(relay_domains, "", "Domains accepted and forwarded to another host (domains or type:table)."),
	P_STR(virtual_mailbox_maps, "hash:$config_directory/users", "The users table: address to user record (postern-users(5))."),
	P_LIST(virtual_alias_maps, "hash:$config_directory/virtual", "Alias tables for every domain: address to addresses."),
	P_LIST(alias_maps, "hash:$config_directory/aliases", "Alias tables for the domains of mydestination: local part to addresses."),
	P_STR(recipient_delimiter, "+", "Characters that separate a local part from its extension (user+tag)."),
	P_INT(virtual_alias_recursion_limit, "1000", 1, 100000, "Deepest nesting of alias expansion."),
	P_INT(virtual_alias_expansion_limit, "1000", 1, 100000, "Most addresses one address may expand to."),
	P_BOOL(allow_mail_to_commands, "no", "Let root's alias_maps tables and include files name commands (|command) that local(8) runs."),
	P_BOOL(allow_mail_to_files, "no", "Let root's alias_maps tables and include files name files (/path) that local(8) appends to."),
	P_STR(authd_socket, "auth/authd", "authd's socket, relative to queue_directory."),
	P_STR(sendmail_socket, "public/submit", "smtpd's socket for local submission by sendmail(1), relative to queue_directory."),
	P_TIME(authd_timeout, "30s", 1, 3600, "How long a client waits for authd's answer."),
	P_TIME(authd_cache_ttl, "60s", 0, 86400, "How long authd remembers a found user (0: no cache)."),
	P_TIME(authd_cache_negative_ttl, "10s", 0, 86400, "How long authd remembers an unknown user (0: no cache)."),
	P_INT(authd_cache_size, "10000", 1, 10000000, "Most entries in authd's cache."),
	P_TIME(authd_failure_delay, "1s", 0, 60, "Delay of a failed login's answer; doubles with each failure in a row."),
	P_TIME(authd_failure_delay_max, "15s", 0, 600, "Longest delay of a failed login's answer."),
	P_INT(authd_lockout_failures, "10", 1, 100000, "Failures in a row (per user or client address) before a lockout."),
	P_TIME(authd_lockout_time, "15m", 1, 86400, "How long a lockout lasts; failures older than this are forgotten."),
	P_INT(authd_threads, "4", 1, 64, "Threads in authd that do directory look-ups and password hashing."),
	P_SIZE(authd_request_limit, "4k", 256, 65536, "Longest request line authd accepts."),
	P_LIST(auth_mechanisms, "PLAIN LOGIN", "SASL mechanisms offered by smtpd, imapd and pop3d (PLAIN, LOGIN)."),
	P_BOOL(auth_allow_plaintext, "no", "Offer password mechanisms on connections without TLS."),
	P_STR(smtpd_banner, "$myhostname ESMTP Postern", "Text of smtpd's 220 greeting after the code."),
	P_LIST(mynetworks, "127.0.0.0/8, [::1]/128", "Trusted client networks: they may relay without authentication."),
	P_SIZE(message_size_limit, "10240000", 1024, 1073741824, "Largest message smtpd accepts (advertised with SIZE)."),
	P_INT(smtpd_recipient_limit, "1000", 1, 100000, "Most recipients of one message."),
	P_TIME(smtpd_timeout, "300s", 10, 3600, "How long smtpd waits for a client's next command or data."),
	P_INT(smtpd_hard_error_limit, "20", 1, 1000, "Errors in one session before smtpd answers 421 and closes it."),
	P_INT(smtpd_command_line_limit, "512", 512, 65536, "Longest command line, CRLF included (ESMTP parameters may add 1536)."),
	P_SIZE(smtpd_data_line_limit, "64k", 1000, 1048576, "Longest line of message text smtpd accepts."),
	P_SIZE(header_size_limit, "102400", 1024, 10485760, "Largest message header smtpd accepts."),
	P_INT(hopcount_limit, "50", 1, 1000, "Most Received: headers before a message is refused as a mail loop."),
	P_BOOL(smtpd_forbid_bare_newline, "yes", "Refuse bare LF and bare CR in commands and message text (SMTP smuggling)."),
	P_BOOL(smtpd_helo_required, "no", "Require HELO or EHLO before MAIL."),
	P_LIST(smtpd_forbid_bare_newline_exclusions, "$mynetworks", "Clients exempt from smtpd_forbid_bare_newline."),
	P_STR(smtpd_tls_security_level, "may", "STARTTLS in smtpd: none, may (offered) or encrypt (required before MAIL and AUTH)."),
	P_BOOL(smtpd_tls_wrappermode, "no", "TLS from the first byte (submissions, port 465) instead of STARTTLS."),
	P_BOOL(smtpd_sasl_auth_enable, "no", "Offer SMTP AUTH (yes for submission and submissions)."),
	P_BOOL(smtpd_auth_required, "no", "Refuse MAIL until the client has authenticated (submission, RFC 6409)."),
	P_TIME(smtpd_data_timeout, "300s", 10, 3600, "How long smtpd waits for more message text during DATA or BDAT."),
	P_TIME(smtpd_starttls_timeout, "60s", 1, 3600, "How long a TLS handshake may take in smtpd."),
	P_TIME(smtpd_greet_pause, "0s", 0, 60, "Wait this long before the greeting; a client that talks first is refused (0: off)."),
	P_INT(smtpd_connection_limit, "1000", 1, 1000000, "Most connections one smtpd process serves at once."),
	P_INT(smtpd_client_connection_count_limit, "50", 0, 1000000, "Most connections at once from one client address (0: no limit)."),
	P_INT(smtpd_client_connection_rate_limit, "0", 0, 1000000, "Most connections from one client address per smtpd_client_rate_time_unit (0: no limit)."),
	P_TIME(smtpd_client_rate_time_unit, "60s", 1, 86400, "The period of smtpd_client_connection_rate_limit."),
	P_INT(smtpd_session_command_limit, "10000", 10, 10000000, "Most commands in one SMTP session."),
	P_INT(smtpd_session_message_limit, "1000", 1, 1000000, "Most messages accepted in one SMTP session."),
	P_INT(smtpd_soft_error_limit, "10", 0, 1000, "Errors in a session after which each error reply is delayed longer."),
	P_TIME(smtpd_error_sleep_time, "1s", 0, 60, "Delay per error beyond smtpd_soft_error_limit (at most ten times this)."),
	P_BOOL(smtpd_peername_lookup, "yes", "Look up each client's host name (PTR, forward-confirmed) for logs, Received: and access tables."),
	P_LIST(dns_servers, "", "DNS resolvers ADDR or ADDR:PORT ([IPv6]:PORT) for every look-up (empty: /etc/resolv.conf)."),
	P_STR(qmgr_socket, "private/qmgr", "qmgr's socket for new-mail notices, relative to queue_directory."),
	P_LIST(transport_maps, "", "Tables of transports by address, domain or parent domain (postern-transport(5))."),
	P_STR(local_transport, "lmtp:unix:$queue_directory/private/lmtp", "Transport and next hop for the domains of mydestination."),
	P_STR(virtual_transport, "$local_transport", "Transport and next hop for virtual_mailbox_domains."),
	P_STR(relay_transport, "smtp:", "Transport and next hop for relay_domains (no next hop: relayhost, else the domain's MX hosts)."),
	P_STR(default_transport, "smtp:", "Transport and next hop for all other domains (no next hop: relayhost, else MX hosts)."),
	P_STR(relayhost, "", "Next hop for mail to other domains, e.g. [smtp.example]:587 (empty: the domain's MX hosts)."),
	P_TIME(minimal_backoff_time, "300s", 1, 86400, "Shortest wait before a deferred message is tried again; doubles with each attempt."),
	P_TIME(maximal_backoff_time, "4000s", 1, 604800, "Longest wait between two attempts to deliver a message."),
	P_TIME(maximal_queue_lifetime, "5d", 0, 31536000, "How long a message may stay deferred before it is returned as undeliverable."),
	P_TIME(bounce_queue_lifetime, "5d", 0, 31536000, "The same for notices from the null sender."),
	P_TIME(delay_warning_time, "0s", 0, 31536000, "Send the sender one delay notice when a message has waited this long (0: never)."),
	P_TIME(queue_run_delay, "300s", 1, 86400, "How often qmgr scans the deferred queue (and incoming, for missed notices)."),
	P_INT(qmgr_message_active_limit, "20000", 1, 1000000, "Most messages in the active queue (in qmgr's memory) at once."),
	P_INT(qmgr_delivery_limit, "100", 1, 10000, "Most deliveries in progress at once, over all destinations."),
	P_INT(default_destination_concurrency_limit, "20", 1, 1000, "Most deliveries in progress at once to one destination."),
	P_INT(default_destination_recipient_limit, "50", 1, 1000, "Most recipients of one delivery request."),
	P_TIME(qmgr_agent_timeout, "3600s", 10, 86400, "How long qmgr waits for a delivery agent to finish a request."),
	P_STR(double_bounce_recipient, "postmaster", "Who gets the notice about a notice that cannot be delivered."),
	P_LIST(smtpd_client_access, "", "Access tables for the client address and name (postern-access(5))."),
	P_LIST(smtpd_helo_access, "", "Access tables for the HELO/EHLO name (postern-access(5))."),
	P_LIST(smtpd_sender_access, "", "Access tables for the MAIL FROM address (postern-access(5))."),
	P_LIST(smtpd_recipient_access, "", "Access tables for each RCPT TO address (postern-access(5))."),
	P_LIST(lmtpd_client_networks, "127.0.0.0/8, [::1]/128", "Networks whose clients may use lmtpd over TCP (unix-socket clients always may)."),
	P_SIZE(lmtpd_message_size_limit, "$message_size_limit", 1024, 2147483648, "Largest message lmtpd accepts (default: message_size_limit plus header_size_limit)."),
	P_INT(lmtpd_recipient_limit, "1000", 1, 100000, "Most recipients of one LMTP transaction."),
	P_SIZE(lmtpd_data_line_limit, "$smtpd_data_line_limit", 1000, 1048576, "Longest line of message text lmtpd accepts."),
	P_TIME(lmtpd_timeout, "300s", 10, 3600, "How long lmtpd waits for a client's next command, data or TLS handshake."),
	P_INT(lmtpd_hard_error_limit, "20", 1, 1000, "Errors in one LMTP session before lmtpd answers 421 and closes it."),
	P_BOOL(lmtpd_forbid_bare_newline, "yes", "Refuse bare LF and bare CR in LMTP commands and message text."),
	P_STR(lmtpd_tls_security_level, "none", "STARTTLS in lmtpd: none, may or encrypt (TCP clients only)."),
	P_BOOL(lmtpd_sasl_auth_enable, "no", "Offer AUTH in lmtpd."),
	P_BOOL(lmtpd_auth_required, "no", "Refuse MAIL from TCP clients of lmtpd until they have authenticated."),
	P_BOOL(lmtpd_quota_full_tempfail, "no", "Answer 452 4.2.2 (try later) instead of 552 5.2.2 for a recipient over quota."),
	P_BOOL(lmtpd_subaddress_folders, "no", "Deliver user+folder@domain into the mailbox folder when it exists."),
	P_INT(lmtpd_delivered_to_limit, "1", 1, 100, "Delivered-To: headers naming the recipient that make a message a mail loop."),
	P_TIME(smtp_connect_timeout, "30s", 1, 3600, "How long the SMTP and LMTP clients wait for a connection to be made."),
	P_TIME(smtp_helo_timeout, "300s", 1, 3600, "How long the clients wait for the greeting, the EHLO/HELO/LHLO reply, STARTTLS and its handshake."),
	P_TIME(smtp_mail_timeout, "300s", 1, 3600, "How long the clients wait for the reply to MAIL FROM (and to RSET)."),
	P_TIME(smtp_rcpt_timeout, "300s", 1, 3600, "How long the clients wait for the reply to each RCPT TO."),
	P_TIME(smtp_data_init_timeout, "120s", 1, 3600, "How long the clients wait for the reply to DATA."),
	P_TIME(smtp_data_xfer_timeout, "180s", 1, 3600, "How long sending the message text may make no progress."),
	P_TIME(smtp_data_done_timeout, "600s", 1, 3600, "How long the clients wait for the reply (LMTP: each reply) to the end of the text."),
	P_TIME(smtp_quit_timeout, "300s", 1, 3600, "How long the clients wait for the reply to QUIT."),
	P_STR(smtp_helo_name, "$myhostname", "The name the SMTP and LMTP clients give in EHLO, HELO and LHLO."),
	P_STR(smtp_tls_security_level, "may", "STARTTLS in the SMTP client: none, may, encrypt or verify."),
	P_LIST(smtp_tls_policy_maps, "", "Tables of a TLS level (none, may, encrypt, verify) per destination domain."),
	P_STR(smtp_tls_CAfile, "", "Trusted CAs (PEM) of the verify level, SMTP and LMTP (empty: the system's)."),
	P_INT(smtp_max_hosts, "5", 1, 100, "Most server addresses one SMTP delivery tries (MX hosts and their addresses)."),
	P_STR(lmtp_tls_security_level, "none", "STARTTLS in the LMTP client: none, may, encrypt or verify."),
	P_TIME(lmtp_connection_cache_time, "2s", 0, 300, "How long an idle LMTP connection is kept for the next delivery to its next hop (0: not kept)."),
	P_STR(default_privs, "nobody", "The user local(8) runs alias commands and writes alias files as (never root)."),
	P_TIME(local_command_timeout, "1000s", 1, 86400, "How long an alias command may run before local(8) kills it and defers the recipient."),
	P_INT(local_delivery_limit, "20", 1, 1000, "Most requests local(8) works on at once; more wait for a free slot."),
	P_STR(syslog_name, "postern", "Prefix of the program names in log lines."),
	P_STR(syslog_facility, "mail", "Syslog facility for every daemon."),
	P_STR(log_level, "info", "Least severe level logged: debug, info, notice, warn or error."),
	P_LIST(smtp_listen, "0.0.0.0:25, [::]:25", "Addresses of the SMTP (MX) service."),
	P_LIST(submission_listen, "0.0.0.0:587, [::]:587", "Addresses of the submission service (RFC 6409)."),
	P_LIST(smtps_listen, "0.0.0.0:465, [::]:465", "Addresses of the submissions service (implicit TLS, RFC 8314)."),
	P_LIST(lmtp_listen, "unix:$queue_directory/private/lmtp", "Addresses of the LMTP service of the local store."),
	P_LIST(imap_listen, "0.0.0.0:143, [::]:143", "Addresses of the IMAP service."),
	P_TIME(imapd_timeout, "30m", 10, 86400, "Idle time after which imapd logs a client out (RFC 3501: at least 30 minutes)."),
	P_TIME(imapd_auth_failure_delay, "1s", 0, 60, "Delay of imapd's answer to a failed LOGIN or AUTHENTICATE; doubles with each failure in the session."),
	P_TIME(imapd_auth_failure_delay_max, "8s", 0, 600, "Longest delay of imapd's answer to a failed login."),
	P_INT(imapd_client_connection_limit, "100", 0, 1000000, "Most connections at once from one client address to imapd, all processes together (0: no limit)."),
	P_INT(imapd_user_connection_limit, "10", 0, 100000, "Most logged-in imapd sessions of one user from one client address (0: no limit)."),
	P_BOOL(imapd_tls_wrappermode, "no", "TLS from the first byte (imaps, port 993) instead of STARTTLS."),
	P_SIZE(imapd_max_line, "64k", 1024, 1048576, "Longest IMAP command line imapd accepts (literals apart)."),
	P_SIZE(imapd_max_literal, "$message_size_limit", 1024, 1073741824, "Largest literal (an APPENDed message) imapd accepts."),
	P_TIME(imapd_idle_recheck, "2m", 1, 3600, "How often imapd looks for changes to a mailbox in IDLE without a change notice, and tells the client it is still there."),
	P_LIST(imaps_listen, "0.0.0.0:993, [::]:993", "Addresses of the IMAP service with implicit TLS."),
	P_LIST(pop3_listen, "0.0.0.0:110, [::]:110", "Addresses of the POP3 service."),
	P_LIST(pop3s_listen, "0.0.0.0:995, [::]:995", "Addresses of the POP3 service with implicit TLS."),
	P_TIME(pop3d_timeout, "10m", 600, 86400, "Idle time after which pop3d closes a session (RFC 1939: at least 10 minutes)."),
	P_TIME(pop3d_auth_failure_delay, "1s", 0, 60, "Delay of pop3d's answer to a failed PASS or AUTH; doubles with each failure in the session."),
	P_TIME(pop3d_auth_failure_delay_max, "8s", 0, 600, "Longest delay of pop3d's answer to a failed login."),
	P_INT(pop3d_client_connection_limit, "100", 0, 1000000, "Most connections at once from one client address to pop3d, all processes together (0: no limit)."),
	P_BOOL(pop3d_tls_wrappermode, "no", "TLS from the first byte (pop3s, port 995) instead of STLS."),
	P_SIZE(pop3d_max_line, "1k", 255, 65536, "Longest POP3 command line pop3d accepts, CRLF included (SASL responses apart)."),
	P_STR(tls_cert_file, "$config_directory/tls/cert.pem", "Server certificate chain (PEM) for every TLS service."),
	P_STR(tls_key_file, "$config_directory/tls/key.pem", "Private key (PEM) of tls_cert_file."),
	P_STR(tls_chain_file, "", "Intermediate certificates (PEM) sent after tls_cert_file (empty: none)."),
	P_STR(tls_protocols, ">=TLSv1.2", "TLS versions servers accept, e.g. \">=TLSv1.2\" or \"TLSv1.3\"."),
	P_STR(tls_ciphers, "", "OpenSSL cipher list for TLS 1.2 (empty: OpenSSL's default)."),
	P_STR(tls_ciphersuites, "", "OpenSSL TLS 1.3 cipher suites (empty: OpenSSL's default)."),
	P_INT(default_process_limit, "1", 1, 1000, "Processes of a service when master.conf says \"-\"."),
	P_TIME(master_stop_timeout, "10s", 1, 3600, "How long master waits for children to stop before SIGKILL."),
	P_TIME(service_restart_delay, "1s", 1, 3600, "Delay before restarting a service whose process failed."),
	P_TIME(service_throttle_time, "60s", 1, 86400, "Longest restart delay of a crash-looping service."),
	P_INT(service_listen_backlog, "128", 1, 65535, "Listen queue length of every service socket."),
	P_STR(store_directory, "$data_directory/store", "The mailbox store: one directory a user (postern-store(5))."),
	P_SIZE(store_index_max_size, "1g", 16777216, 1099511627776, "Largest index of one user's store (its LMDB map size)."),
	P_STR(store_sent_mailbox, "Sent", "Name of the \\Sent mailbox made for every user (empty: none)."),
	P_STR(store_drafts_mailbox, "Drafts", "Name of the \\Drafts mailbox made for every user (empty: none)."),
	P_STR(store_trash_mailbox, "Trash", "Name of the \\Trash mailbox made for every user (empty: none)."),
	P_STR(store_junk_mailbox, "Junk", "Name of the \\Junk mailbox made for every user (empty: none)."),
	P_SIZE(bounce_size_limit, "50000", 0, 1073741824, "Largest original returned whole in a bounce; a larger one is returned as its header."),
	{ NULL, CFG_STR, NULL, 0, 0, 0, NULL },
};

/* Defaults computed from the system: host name and domain. */
static void
set_host_defaults(struct cfg *cfg)
{
	char host[256];
	struct addrinfo hints = { .ai_flags = AI_CANONNAME };
	struct addrinfo *ai = NULL;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		return;
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') == NULL &&
	    getaddrinfo(host, NULL, &hints, &ai) == 0 && ai != NULL &&
	    ai->ai_canonname != NULL && strchr(ai->ai_canonname, '.') != NULL)
		snprintf(host, sizeof(host), "%s", ai->ai_canonname);
	if (ai != NULL)
		freeaddrinfo(ai);
	cfg_set_default(cfg, "myhostname", host);
}

/* Unless set, mydomain is the effective myhostname less its first label. */
static int
derive_mydomain(struct cfg *cfg, struct params *out, struct why *why)
{
	const char *dot = strchr(out->myhostname, '.');

	if (cfg_is_set(cfg, "mydomain") || dot == NULL || dot[1] == '\0')
		return 0;
	cfg_set_default(cfg, "mydomain", dot + 1);
	return cfg_finish(cfg, out, why);
}

/*
 * Unless set, lmtpd_message_size_limit leaves room above
 * message_size_limit for the header fields added on the way from smtpd
 * (Received:), so that lmtpd never refuses what smtpd accepted.
 */
static int
derive_lmtpd_size(struct cfg *cfg, struct params *out, struct why *why)
{
	char value[32];

	if (cfg_is_set(cfg, "lmtpd_message_size_limit"))
		return 0;
	snprintf(value, sizeof(value), "%llu",
	    (unsigned long long)(out->message_size_limit +
		out->header_size_limit));
	cfg_set_default(cfg, "lmtpd_message_size_limit", value);
	return cfg_finish(cfg, out, why);
}

/* Each resolver must be a numeric address, with an optional port. */
static int
check_dns_servers(const struct cfg *cfg, const struct params *p,
    struct why *why)
{
	struct span rest = span_str(p->dns_servers);
	struct sockaddr_storage ss;
	struct why inner;
	struct span item;
	socklen_t len;

	while (cfg_list_next(&rest, &item))
		if (dns_server_parse(item, &ss, &len, &inner) == -1)
			return cfg_error(cfg, "dns_servers", why, "%s",
			    inner.msg);
	return 0;
}

/* The SASL glue (lib/auth/sasl.h) has PLAIN and LOGIN. */
static int
check_mechanisms(const struct cfg *cfg, const struct params *p,
    struct why *why)
{
	struct span rest = span_str(p->auth_mechanisms);
	struct span m;

	while (cfg_list_next(&rest, &m))
		if (!span_eq_nocase(m, "PLAIN") && !span_eq_nocase(m, "LOGIN"))
			return cfg_error(cfg, "auth_mechanisms", why,
			    "unknown mechanism \"%.*s\" (PLAIN, LOGIN)",
			    (int)m.len, (const char *)m.p);
	return 0;
}

static bool
tls_level_ok(const char *l)
{
	return strcmp(l, "none") == 0 || strcmp(l, "may") == 0 ||
	    strcmp(l, "encrypt") == 0;
}

static int
check_tls(const struct cfg *cfg, const struct params *p, struct why *why)
{
	const char *const names[] = { "smtpd_tls_security_level",
		"lmtpd_tls_security_level", "smtp_tls_security_level",
		"lmtp_tls_security_level" };
	const char *const levels[] = { p->smtpd_tls_security_level,
		p->lmtpd_tls_security_level, p->smtp_tls_security_level,
		p->lmtp_tls_security_level };
	struct why inner;
	size_t i;
	int lo, hi;

	/* The clients also have verify (servers have nothing to verify). */
	for (i = 0; i < 4; i++)
		if (!tls_level_ok(levels[i]) &&
		    (i < 2 || strcmp(levels[i], "verify") != 0))
			return cfg_error(cfg, names[i], why, "unknown level "
			    "\"%s\" (%s)", levels[i], i < 2 ?
			    "none, may or encrypt" :
			    "none, may, encrypt or verify");
	if (tls_protocols_parse(p->tls_protocols, &lo, &hi, &inner) == -1)
		return cfg_error(cfg, "tls_protocols", why, "%s", inner.msg);
	return 0;
}

static int
check_logging(const struct cfg *cfg, const struct params *p, struct why *why)
{
	enum log_level level;

	if (!log_facility_valid(p->syslog_facility))
		return cfg_error(cfg, "syslog_facility", why, "unknown syslog "
		    "facility \"%s\"", p->syslog_facility);
	if (log_level_parse(p->log_level, &level) == -1)
		return cfg_error(cfg, "log_level", why, "unknown level \"%s\" "
		    "(debug, info, notice, warn or error)", p->log_level);
	if (check_tls(cfg, p, why) == -1 ||
	    check_dns_servers(cfg, p, why) == -1)
		return -1;
	return check_mechanisms(cfg, p, why);
}

struct cfg *
params_load(const char *config_dir, char *const *overrides, int noverrides,
    struct params *out, cfg_warn_fn *warn, void *warn_arg, struct why *why)
{
	struct cfg *cfg = cfg_new(params_table, warn, warn_arg);
	char path[4096];
	int i;

	set_host_defaults(cfg);
	cfg_set_default(cfg, "config_directory", config_dir);
	if (snprintf(path, sizeof(path), "%s/postern.conf", config_dir) >=
	    (int)sizeof(path)) {
		why_set(why, "%s: path too long", config_dir);
		goto fail;
	}
	if (cfg_read_file(cfg, path, why) == -1)
		goto fail;
	for (i = 0; i < noverrides; i++)
		if (cfg_override(cfg, overrides[i], why) == -1)
			goto fail;
	if (cfg_finish(cfg, out, why) == -1 || derive_mydomain(cfg, out, why) ==
	    -1 || derive_lmtpd_size(cfg, out, why) == -1 ||
	    check_logging(cfg, out, why) == -1)
		goto fail;
	return cfg;
fail:
	cfg_free(&cfg);
	return NULL;
}

void
params_tls_conf(const struct params *p, struct tls_conf *out)
{
	memset(out, 0, sizeof(*out));
	out->cert_file = p->tls_cert_file;
	out->key_file = p->tls_key_file;
	out->chain_file = p->tls_chain_file[0] != '\0' ? p->tls_chain_file :
							   NULL;
	out->protocols = p->tls_protocols;
	out->ciphers = p->tls_ciphers[0] != '\0' ? p->tls_ciphers : NULL;
	out->ciphersuites = p->tls_ciphersuites[0] != '\0' ?
	    p->tls_ciphersuites : NULL;
}

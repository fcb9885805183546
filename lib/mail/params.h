/*
 * params.h - every postern.conf parameter, as one struct filled from the
 * one table in params.c (the single source of names, types, defaults,
 * limits and descriptions; postern.conf(5) documents each row).
 * Linked into: every program.  Trust: values come from the admin's files
 * and have been range-checked by cfg_finish().
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/cfg.h"

/* Field names equal parameter names.  Strings are owned by the cfg. */
struct params {
	const char *config_directory;
	const char *queue_directory;
	const char *data_directory;
	const char *daemon_directory;
	const char *mail_owner;
	const char *auth_owner;
	const char *store_owner;
	const char *myhostname;
	const char *mydomain;
	const char *myorigin;
	const char *mydestination;
	const char *virtual_mailbox_domains;
	const char *relay_domains;
	const char *virtual_mailbox_maps;
	const char *virtual_alias_maps;
	const char *alias_maps;
	const char *recipient_delimiter;
	uint64_t virtual_alias_recursion_limit;
	uint64_t virtual_alias_expansion_limit;
	bool allow_mail_to_commands;
	bool allow_mail_to_files;
	const char *authd_socket;
	const char *sendmail_socket;
	uint64_t authd_timeout;
	uint64_t authd_cache_ttl;
	uint64_t authd_cache_negative_ttl;
	uint64_t authd_cache_size;
	uint64_t authd_failure_delay;
	uint64_t authd_failure_delay_max;
	uint64_t authd_lockout_failures;
	uint64_t authd_lockout_time;
	uint64_t authd_threads;
	uint64_t authd_request_limit;
	const char *auth_mechanisms;
	bool auth_allow_plaintext;
	const char *smtpd_banner;
	const char *mynetworks;
	uint64_t message_size_limit;
	uint64_t smtpd_recipient_limit;
	uint64_t smtpd_timeout;
	uint64_t smtpd_hard_error_limit;
	uint64_t smtpd_command_line_limit;
	uint64_t smtpd_data_line_limit;
	uint64_t header_size_limit;
	uint64_t hopcount_limit;
	bool smtpd_forbid_bare_newline;
	bool smtpd_helo_required;
	const char *smtpd_forbid_bare_newline_exclusions;
	const char *smtpd_tls_security_level;
	bool smtpd_tls_wrappermode;
	bool smtpd_sasl_auth_enable;
	bool smtpd_auth_required;
	uint64_t smtpd_data_timeout;
	uint64_t smtpd_starttls_timeout;
	uint64_t smtpd_greet_pause;
	uint64_t smtpd_connection_limit;
	uint64_t smtpd_client_connection_count_limit;
	uint64_t smtpd_client_connection_rate_limit;
	uint64_t smtpd_client_rate_time_unit;
	uint64_t smtpd_session_command_limit;
	uint64_t smtpd_session_message_limit;
	uint64_t smtpd_soft_error_limit;
	uint64_t smtpd_error_sleep_time;
	bool smtpd_peername_lookup;
	const char *dns_servers;
	const char *qmgr_socket;
	const char *transport_maps;
	const char *local_transport;
	const char *virtual_transport;
	const char *relay_transport;
	const char *default_transport;
	const char *relayhost;
	uint64_t minimal_backoff_time;
	uint64_t maximal_backoff_time;
	uint64_t maximal_queue_lifetime;
	uint64_t bounce_queue_lifetime;
	uint64_t delay_warning_time;
	uint64_t queue_run_delay;
	uint64_t qmgr_message_active_limit;
	uint64_t qmgr_delivery_limit;
	uint64_t default_destination_concurrency_limit;
	uint64_t default_destination_recipient_limit;
	uint64_t qmgr_agent_timeout;
	const char *double_bounce_recipient;
	const char *smtpd_client_access;
	const char *smtpd_helo_access;
	const char *smtpd_sender_access;
	const char *smtpd_recipient_access;
	const char *lmtpd_client_networks;
	uint64_t lmtpd_message_size_limit;
	uint64_t lmtpd_recipient_limit;
	uint64_t lmtpd_data_line_limit;
	uint64_t lmtpd_timeout;
	uint64_t lmtpd_hard_error_limit;
	bool lmtpd_forbid_bare_newline;
	const char *lmtpd_tls_security_level;
	bool lmtpd_sasl_auth_enable;
	bool lmtpd_auth_required;
	bool lmtpd_quota_full_tempfail;
	bool lmtpd_subaddress_folders;
	uint64_t lmtpd_delivered_to_limit;
	uint64_t smtp_connect_timeout;
	uint64_t smtp_helo_timeout;
	uint64_t smtp_mail_timeout;
	uint64_t smtp_rcpt_timeout;
	uint64_t smtp_data_init_timeout;
	uint64_t smtp_data_xfer_timeout;
	uint64_t smtp_data_done_timeout;
	uint64_t smtp_quit_timeout;
	const char *smtp_helo_name;
	const char *smtp_tls_security_level;
	const char *smtp_tls_policy_maps;
	const char *smtp_tls_CAfile;
	uint64_t smtp_max_hosts;
	const char *lmtp_tls_security_level;
	uint64_t lmtp_connection_cache_time;
	const char *default_privs;
	uint64_t local_command_timeout;
	uint64_t local_delivery_limit;
	const char *syslog_name;
	const char *syslog_facility;
	const char *log_level;
	const char *smtp_listen;
	const char *submission_listen;
	const char *smtps_listen;
	const char *lmtp_listen;
	const char *imap_listen;
	uint64_t imapd_timeout;
	uint64_t imapd_auth_failure_delay;
	uint64_t imapd_auth_failure_delay_max;
	uint64_t imapd_client_connection_limit;
	uint64_t imapd_user_connection_limit;
	bool imapd_tls_wrappermode;
	uint64_t imapd_max_line;
	uint64_t imapd_max_literal;
	uint64_t imapd_idle_recheck;
	const char *imaps_listen;
	const char *pop3_listen;
	const char *pop3s_listen;
	uint64_t pop3d_timeout;
	uint64_t pop3d_auth_failure_delay;
	uint64_t pop3d_auth_failure_delay_max;
	uint64_t pop3d_client_connection_limit;
	bool pop3d_tls_wrappermode;
	uint64_t pop3d_max_line;
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_chain_file;
	const char *tls_protocols;
	const char *tls_ciphers;
	const char *tls_ciphersuites;
	uint64_t default_process_limit;
	uint64_t master_stop_timeout;
	uint64_t service_restart_delay;
	uint64_t service_throttle_time;
	uint64_t service_listen_backlog;
	const char *store_directory;
	uint64_t store_index_max_size;
	const char *store_sent_mailbox;
	const char *store_drafts_mailbox;
	const char *store_trash_mailbox;
	const char *store_junk_mailbox;
	uint64_t bounce_size_limit;
};

struct tls_conf;

/* The table, ending with a row whose name is NULL. */
extern const struct cfg_param params_table[];

/* Default location of the instance directory (postern -c). */
#define PARAMS_DEFAULT_CONFIG_DIR "/etc/postern"

/*
 * Load the configuration of the instance in config_dir: postern.conf
 * there (missing means defaults), then the overrides ("name=value", in
 * order), computed defaults (host name, domain).  On success fills *out
 * and returns the cfg that owns its strings (caller frees with cfg_free);
 * on failure returns NULL with why = "file:line: reason".  Unknown
 * parameters are passed to warn.
 */
struct cfg *params_load(const char *config_dir, char *const *overrides,
	    int noverrides, struct params *out, cfg_warn_fn *warn,
	    void *warn_arg, struct why *why);

/* The server TLS settings of p (tls_cert_file ...) into out, whose
 * strings are borrowed from p. */
void	params_tls_conf(const struct params *p, struct tls_conf *out);

#endif

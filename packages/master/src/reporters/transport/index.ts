/**
 * The reporters' delivery transports: plain inputs in, a result or a TransportError out; they know
 * nothing of builds. A reporter maps a report to one of these calls; the delivery pool retries a
 * failure when `isRetryable(err)`, not before `err.retryAfterMs`, and shows `err.message`.
 *
 *   const res = await sendHttp({ method: 'POST', url: `${baseURL}/repos/${repo}/statuses/${sha}`,
 *     headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'mastro',
 *       'content-type': 'application/json' }, body: JSON.stringify({ state: 'success', context }) });
 *   await sendMail({ relayhost, smtpPort, useTls, smtpUser, smtpPassword }, { from, to, subject, text, html });
 *   await runSshCommand({ host, port: 29418, user, identityFile }, ['gerrit', 'review', '--label', 'Verified=+1', '12,3']);
 *   const bot = new IrcClient({ host, nick, channels: ['#ci'] }); bot.on('message', (m) => ...); bot.start();
 */
export { TransportError, RateLimitError, TransportErrorCodes, isRetryable, type TransportErrorCode, type TransportErrorContext } from './errors.js';
export { sendHttp, closeHttpConnections, HTTP_DEFAULTS, type HttpRequest, type HttpResponse, type HttpTransportOptions } from './http.js';
export { waitAnswer, parseRetryAfter, rateLimitState, RATE_LIMIT_DEFAULTS, type RateLimitOptions, type WaitAnswer } from './rate-limit.js';
export { sendMail, SMTP_DEFAULTS, type SmtpOptions, type MailMessage, type MailAttachment, type MailResult } from './smtp.js';
export { runSshCommand, quoteForRemoteShell, sshArgs, SSH_DEFAULTS, type SshCommandOptions, type SshCommandResult } from './ssh-command.js';
export { IrcClient, IRC_DEFAULTS, IRC_PORT, IRCS_PORT, type IrcClientOptions, type IrcChatMessage, type IrcChannel, type IrcClientEvents } from './irc-client.js';
export { splitText, formatLine, parseLine, MAX_LINE_BYTES, type IrcMessage } from './irc-message.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { displayUrl, requestSecrets, scrub } from './redaction.js';

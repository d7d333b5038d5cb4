/**
 * An error whose message is meant for the user, as plain text (the dispatcher escapes it, so it
 * may quote what the user typed) ("that lesson does not exist"): the dispatcher
 * answers with it as an ephemeral reply. Anything else is a bug: logged, and answered with a
 * short generic message.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/**
 * @module sip/ua/mwi-body
 * RFC 3842 message summary (`application/simple-message-summary`), the body of every MWI NOTIFY.
 */

export interface MessageSummary {
  waiting: boolean;
  /** `sip:<mailbox>@<domain>` the counts belong to. */
  account: string;
  newMessages: number;
  oldMessages: number;
}

export const MWI_EVENT = "message-summary";
export const MWI_CONTENT_TYPE = "application/simple-message-summary";

export function formatMessageSummary(s: MessageSummary): string {
  return (
    `Messages-Waiting: ${s.waiting ? "yes" : "no"}\r\n` +
    `Message-Account: ${s.account}\r\n` +
    `Voice-Message: ${s.newMessages}/${s.oldMessages} (0/0)\r\n`
  );
}

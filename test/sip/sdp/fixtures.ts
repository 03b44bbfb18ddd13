/** SDP bodies used by the SDP tests. */

const crlf = (lines: string[]): string => `${lines.join("\r\n")}\r\n`;

/** The INVITE offer of test/peers/fixtures/sipp/uac-call-dtmf.xml, at 127.0.0.1. */
export const SIPP_UAC_CALL_DTMF = crlf([
  "v=0",
  "o=caller 53655765 2353687637 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6000 RTP/AVP 0 8 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=ptime:20",
  "a=sendrecv",
]);

/** The 200 OK body of test/peers/fixtures/sipp/uas-guest-phone.xml, at 127.0.0.1. */
export const SIPP_UAS_GUEST_PHONE = crlf([
  "v=0",
  "o=guest 53655765 2353687637 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6002 RTP/AVP 0 8 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=ptime:20",
  "a=sendrecv",
]);

/** A linphone-like offer (LF line ends): opus, speex at three rates, PCMU, PCMA, GSM, telephone-event. */
export const LINPHONE = [
  "v=0",
  "o=guest 1745 3456 IN IP4 192.168.10.23",
  "s=Talk",
  "c=IN IP4 192.168.10.23",
  "t=0 0",
  "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics",
  "a=record:off",
  "m=audio 7078 RTP/AVP 96 97 98 99 0 8 3 100 101 102",
  "a=rtpmap:96 opus/48000/2",
  "a=fmtp:96 useinbandfec=1",
  "a=rtpmap:97 speex/16000",
  "a=fmtp:97 vbr=on",
  "a=rtpmap:98 speex/8000",
  "a=fmtp:98 vbr=on",
  "a=rtpmap:99 speex/32000",
  "a=fmtp:99 vbr=on",
  "a=rtpmap:100 telephone-event/48000",
  "a=rtpmap:101 telephone-event/16000",
  "a=rtpmap:102 telephone-event/8000",
  "a=rtcp-fb:* trr-int 1000",
  "a=rtcp-fb:* ccm tmmbr",
  "",
].join("\n");

export const G729_ONLY = crlf([
  "v=0",
  "o=- 1 1 IN IP4 10.0.0.5",
  "s=-",
  "c=IN IP4 10.0.0.5",
  "t=0 0",
  "m=audio 4000 RTP/AVP 18",
  "a=rtpmap:18 G729/8000",
  "a=fmtp:18 annexb=no",
]);

/** PCMA without rtpmap (static), telephone-event at 96, c= only at media level. */
export const TE_96_MEDIA_C = crlf([
  "v=0",
  "o=ucm 20 21 IN IP4 10.1.1.1",
  "s=UCM",
  "t=0 0",
  "m=audio 10000 RTP/AVP 8 96",
  "c=IN IP4 10.1.1.9",
  "a=rtpmap:96 telephone-event/8000",
  "a=fmtp:96 0-16",
]);

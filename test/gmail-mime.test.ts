import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRaw, MailFormatError, parseMail } from '../connectors/gmail/mime.js';
import { stripQuotedHistory } from '../connectors/gmail/quotes.js';

const fixture = (name: string) => readFileSync(new URL(`../connectors/gmail/fixtures/${name}`, import.meta.url));
const parse = (name: string) => parseMail(fixture(name));

describe('gmail MIME corpus', () => {
  it('quoted-printable UTF-8 with RFC 2047 headers and an address group', async () => {
    const mail = await parse('plain-utf8-qp.eml');
    expect(mail.from).toEqual({ name: 'Renée Dubois', address: 'renee@example.fr' });
    expect(mail.subject).toBe('Budget 2026 ✅ approuvé');
    expect(mail.to.map((a) => a.address)).toEqual(['ann@example.com', 'bob@example.com']);
    expect(mail.cc.map((a) => a.address)).toEqual(['carol@example.com', 'dan@example.com']);
    expect(mail.date).toBe('2026-03-03T08:15:00.000Z');
    expect(mail.text).toContain('Le budget est approuvé — on démarre lundi. Cette ligne est longue et coupée');
  });

  it('multipart/alternative prefers text/plain', async () => {
    const mail = await parse('alternative.eml');
    expect(mail.text).toBe('Plain version: ship on Friday after the review.');
  });

  it('HTML-only mail reads as text: no tags, styles or image noise; lists and links kept', async () => {
    const mail = await parse('html-only.eml');
    expect(mail.text).not.toMatch(/<|color:red|logo/);
    expect(mail.text).toContain('Three things happened:');
    expect(mail.text).toMatch(/\* Invoices sent\n \* Server migrated/);
    expect(mail.text).toContain('12,400 EUR');
    expect(mail.text).toContain('Read the report [https://example.com/report]');
  });

  it.each([
    ['latin1.eml', 'Réunion déjà prévue', "La réunion est déjà prévue à 14h, n'oubliez pas le café.", 'François'],
    ['windows-1252.eml', 'Quote', 'The price is “120 €” – final offer.', 'Sales'],
    ['iso-2022-jp.eml', '会議の件', 'こんにちは、会議は明日です。', '田中'],
    ['gb2312.eml', '项目进展', '你好，项目进展顺利。', 'Li Wei'],
    ['koi8-r.eml', 'Отчёт', 'Привет, отчёт готов.', 'Ivan'],
  ])('%s decodes its charset in headers and body', async (name, subject, text, from) => {
    const mail = await parse(name);
    expect(mail.subject).toBe(subject);
    expect(mail.text).toBe(text);
    expect(mail.from?.name).toBe(from);
  });

  it('nested multiparts: the text, the real attachment listed, the inline logo not', async () => {
    const mail = await parse('nested-mixed.eml');
    expect(mail.text).toBe('Here is the contract draft, see page 3 for the payment terms.');
    expect(mail.attachments).toEqual([{ filename: 'contract-draft.pdf', mimeType: 'application/pdf', size: 1009 }]);
  });

  it('a forwarded message/rfc822 part is read inline with its headers', async () => {
    const mail = await parse('forwarded.eml');
    expect(mail.text).toContain('FYI, see the report below.');
    expect(mail.text).toContain('Subject: Server outage report');
    expect(mail.text).toContain('The database was down for 12 minutes; root cause is a full disk.');
  });

  it('quoted reply history is stripped (Gmail attribution wrapped over two lines, Outlook separator)', async () => {
    const gmail = await parse('reply-quoted.eml');
    expect(gmail.text).toBe('Sounds good, I will prepare the release notes by Thursday.');
    expect(gmail.quotedStripped).toBe(true);
    expect(gmail.inReplyTo).toBe('<launch@example.com>');
    const outlook = await parse('outlook-reply.eml');
    expect(outlook.text).toBe('Paid today, thanks.');
    expect(outlook.quotedStripped).toBe(true);
  });

  it('inline quotes followed by new text are kept: they are the reply', () => {
    const text = '> can we ship Friday?\nYes, Friday works.\n\n> and the notes?\nBy Thursday.';
    expect(stripQuotedHistory(text)).toEqual({ text, stripped: false });
  });

  it('Gmail raw is base64url', async () => {
    const raw = fixture('alternative.eml').toString('base64url');
    const mail = await parseMail(decodeRaw(raw));
    expect(mail.subject).toBe('Launch checklist');
    expect(() => decodeRaw('not base64 at all!')).toThrow(MailFormatError);
  });
});

describe('gmail MIME: attachments downloaded when asked', () => {
  const CSV = 'name,city\nRenée,Paris\nBob,Zürich\n';
  const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ/wD+';
  const raw = () => fixture('attachments.eml');

  it('by default they are listed only, without content', async () => {
    const mail = await parseMail(raw());
    expect(mail.text).toBe('The visitors list and the badge are attached.');
    expect(mail.attachments).toEqual([
      { filename: 'visitors.csv', mimeType: 'text/csv', size: 35 },
      { filename: 'badge.png', mimeType: 'image/png', size: 36 },
    ]);
  });

  it('download: text decoded, binary as base64', async () => {
    const mail = await parseMail(raw(), {}, { download: true });
    expect(mail.attachments).toEqual([
      { filename: 'visitors.csv', mimeType: 'text/csv', size: 35, text: CSV },
      { filename: 'badge.png', mimeType: 'image/png', size: 36, contentBase64: PNG },
    ]);
  });

  it('maxBytes: a larger attachment stays listed, skipped as too large', async () => {
    const mail = await parseMail(raw(), {}, { download: true, maxBytes: 35 });
    expect(mail.attachments).toEqual([
      { filename: 'visitors.csv', mimeType: 'text/csv', size: 35, text: CSV },
      { filename: 'badge.png', mimeType: 'image/png', size: 36, skipped: 'too large' },
    ]);
  });

  it('types: only the requested type prefixes carry content', async () => {
    const mail = await parseMail(raw(), {}, { download: true, types: ['image/'] });
    expect(mail.attachments).toEqual([
      { filename: 'visitors.csv', mimeType: 'text/csv', size: 35, skipped: 'type not requested' },
      { filename: 'badge.png', mimeType: 'image/png', size: 36, contentBase64: PNG },
    ]);
  });

  it('text over the cap is cut and marked', async () => {
    const mail = await parseMail(raw(), { maxTextChars: 9 }, { download: true, types: ['text/'] });
    expect(mail.attachments[0]).toEqual({ filename: 'visitors.csv', mimeType: 'text/csv', size: 35, text: 'name,city', truncated: true });
  });
});

describe('gmail MIME: malformed and hostile messages', () => {
  it('a boundary that never closes still yields the text before it', async () => {
    const mail = await parse('broken-boundary.eml');
    expect(mail.text).toContain('The text before a boundary that never closes.');
  });

  it('bad base64 decodes what it can and does not throw', async () => {
    const mail = await parse('bad-base64.eml');
    expect(mail.subject).toBe('Bad base64');
    expect(mail.text).toContain('Hello wor');
  });

  it('10 MB of HTML is read up to the cap and flagged truncated', async () => {
    const html = `<html><body>${'<div><p>spam spam</p></div>'.repeat(400_000)}</body></html>`;
    const mail = await parseMail(Buffer.from(`From: a@example.com\r\nSubject: big\r\nContent-Type: text/html\r\n\r\n${html}`));
    expect(mail.truncated).toBe(true);
    expect(mail.text.length).toBeLessThanOrEqual(64 * 1024);
    expect(mail.text).toContain('spam spam');
  });

  it('a body over the text cap is cut and flagged', async () => {
    const mail = await parseMail(Buffer.from(`From: a@example.com\r\nSubject: long\r\n\r\n${'word '.repeat(40_000)}`));
    expect(mail.truncated).toBe(true);
    expect(mail.text.length).toBe(64 * 1024);
  });

  it('1000-deep nested parts fail with the reason', async () => {
    let raw = 'From: a@example.com\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n';
    for (let i = 1; i < 1000; i++) raw += `--b${i - 1}\r\nContent-Type: multipart/mixed; boundary="b${i}"\r\n\r\n`;
    raw += '--b999\r\nContent-Type: text/plain\r\n\r\nhi\r\n';
    await expect(parseMail(Buffer.from(raw))).rejects.toThrow(/nesting depth/);
  });

  it('a binary Outlook .msg fails as not a message', async () => {
    const msg = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(2048, 7)]);
    await expect(parseMail(msg)).rejects.toThrow(/Outlook \.msg/);
    await expect(parseMail(Buffer.from([0, 1, 2, 3, 0x0a, 0x0a]))).rejects.toThrow(MailFormatError);
  });

  it('an empty or oversized message fails with the reason', async () => {
    await expect(parseMail(new Uint8Array())).rejects.toThrow('empty message');
    await expect(parseMail(Buffer.alloc(2048, 'a'), { maxRawBytes: 1024 })).rejects.toThrow(/exceeds the 1024-byte limit/);
  });
});

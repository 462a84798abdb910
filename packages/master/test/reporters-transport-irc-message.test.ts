/**
 * IRC line parsing, formatting and text splitting (src/reporters/transport/irc-message.ts), on the
 * examples of RFC 1459/2812 and the cases a bot meets: IRCv3 tags, CR/LF injection, text in
 * several scripts cut at the byte limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLine, ircLower, isChannel, nickOf, parseLine, splitText } from '../src/reporters/transport/irc-message.js';

test('parseLine reads the prefix, the command and the parameters, the trailing one with its spaces', () => {
  assert.deepEqual(parseLine(':ada!~ada@host.example PRIVMSG #builds :mastro: last test\r\n'),
    { prefix: 'ada!~ada@host.example', command: 'PRIVMSG', params: ['#builds', 'mastro: last test'] });
  assert.deepEqual(parseLine('PING :irc.example'), { command: 'PING', params: ['irc.example'] });
  assert.deepEqual(parseLine(':irc.example 005 bot NICKLEN=30 CHANTYPES=# :are supported'),
    { prefix: 'irc.example', command: '005', params: ['bot', 'NICKLEN=30', 'CHANTYPES=#', 'are supported'] });
  assert.deepEqual(parseLine('@time=2026-12-07T10:00:00Z :a!b@c privmsg #x :hi'), { prefix: 'a!b@c', command: 'PRIVMSG', params: ['#x', 'hi'] });
  assert.deepEqual(parseLine(':a!b@c PRIVMSG #x :'), { prefix: 'a!b@c', command: 'PRIVMSG', params: ['#x', ''] });
  assert.equal(parseLine(''), null);
  assert.equal(parseLine(':only-a-prefix'), null);
});

test('formatLine makes the last parameter trailing when it must and refuses CR, LF and NUL', () => {
  assert.equal(formatLine('PRIVMSG', '#builds', 'build failed'), 'PRIVMSG #builds :build failed');
  assert.equal(formatLine('NICK', 'mastro'), 'NICK mastro');
  assert.equal(formatLine('PRIVMSG', '#b', ':)'), 'PRIVMSG #b ::)');
  assert.equal(formatLine('PRIVMSG', '#b', ''), 'PRIVMSG #b :');
  assert.throws(() => formatLine('PRIVMSG', '#b', 'hi\r\nQUIT :bye'), /may not hold CR, LF or NUL/);
  assert.throws(() => formatLine('JOIN', '#a b', 'key'), /only the last IRC parameter/);
});

test('nicks, channels and IRC case folding', () => {
  assert.equal(nickOf('ada!~ada@h'), 'ada');
  assert.equal(nickOf('irc.example'), 'irc.example');
  assert.equal(isChannel('#builds'), true);
  assert.equal(isChannel('&local'), true);
  assert.equal(isChannel('ada'), false);
  assert.equal(isChannel('+x', '#'), false);
  assert.equal(ircLower('Mastro[Bot]\\~'), 'mastro{bot}|^');
});

test('splitText keeps short lines whole, gives each text line its own piece and drops empty ones', () => {
  assert.deepEqual(splitText('one\n\ntwo\r\nthree\rfour', 100), ['one', 'two', 'three', 'four']);
  assert.deepEqual(splitText('tab\there and a bell\x07, bold \x02kept\x02', 100), ['tab here and a bell , bold \x02kept\x02']);
});

test('splitText cuts at the last space that fits and never inside a UTF-8 character', () => {
  const text = 'Größe ✓ 構築 失敗 '.repeat(20).trim();
  for (const max of [16, 33, 100]) {
    const pieces = splitText(text, max);
    for (const p of pieces) assert.ok(Buffer.byteLength(p) <= max, `${Buffer.byteLength(p)} > ${max}`);
    assert.equal(pieces.join(' '), text);
  }
  const word = '🚀'.repeat(10); // 4 bytes each, no spaces: cut between characters
  const pieces = splitText(word, 10);
  assert.deepEqual(pieces, ['🚀🚀', '🚀🚀', '🚀🚀', '🚀🚀', '🚀🚀']);
});

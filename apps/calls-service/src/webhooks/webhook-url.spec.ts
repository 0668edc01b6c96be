import { isForbiddenAddress, parseWebhookUrl, resolveWebhookUrl, WebhookUrlRefused } from './webhook-url';

describe('isForbiddenAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'shared (Alibaba metadata)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['fd00:ec2::254', 'AWS metadata over IPv6'],
    ['fc00::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata'],
    ['::ffff:10.1.2.3', 'IPv4-mapped private'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['not an address', 'not an IP address'],
  ])('refuses %s (%s)', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::6810:84e5', '::ffff:93.184.215.14', '64:ff9b::808:808'])('allows %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe('parseWebhookUrl', () => {
  const strict = { allowHttp: false, allowPrivate: false };

  it.each([
    ['http://example.com/hook', strict, 'url must be an https:// URL'],
    ['ftp://example.com/hook', { ...strict, allowHttp: true }, 'url must be an http:// or https:// URL'],
    ['https://user:secret@example.com/hook', strict, 'url must not carry a user name or password'],
    ['https://example.com/hook#part', strict, 'url must not have a #fragment'],
    ['example.com/hook', strict, 'url must be an absolute https:// URL'],
  ])('refuses %s', (url, policy, message) => {
    expect(() => parseWebhookUrl(url, policy)).toThrow(new WebhookUrlRefused(message));
  });

  it('takes http:// when allowed', () => {
    expect(parseWebhookUrl('http://example.com/hook', { allowHttp: true, allowPrivate: false }).href).toBe('http://example.com/hook');
  });
});

describe('resolveWebhookUrl', () => {
  it('refuses a host that is a forbidden address, however it is written', async () => {
    for (const url of ['https://127.1/', 'https://0x7f000001/', 'https://[::ffff:127.0.0.1]/', 'https://localhost/']) {
      await expect(resolveWebhookUrl(new URL(url), { allowHttp: false, allowPrivate: false })).rejects.toBeInstanceOf(WebhookUrlRefused);
    }
  });

  it('pins the address it checked', async () => {
    await expect(resolveWebhookUrl(new URL('https://93.184.215.14/'), { allowHttp: false, allowPrivate: false })).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    await expect(resolveWebhookUrl(new URL('http://127.0.0.1:9/'), { allowHttp: true, allowPrivate: true })).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  });
});

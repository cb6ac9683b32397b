import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('replaces the values of secret-looking query parameters and keeps the rest as written', () => {
    expect(redactUrl('/api/v1/sites?access_token=abc&q=x%20y&limit=5')).toBe(
      '/api/v1/sites?access_token=[redacted]&q=x%20y&limit=5',
    );
    expect(redactUrl('/x?apiKey=1&api_key=2&apikey=3&key=4&client_secret=5&password=6&passwd=7&sig=8')).toBe(
      '/x?apiKey=[redacted]&api_key=[redacted]&apikey=[redacted]&key=[redacted]&client_secret=[redacted]&password=[redacted]&passwd=[redacted]&sig=[redacted]',
    );
    // Encoded names are matched decoded; malformed escapes do not throw.
    expect(redactUrl('/x?%61ccess_token=s&%E0%A4%A=1')).toBe('/x?%61ccess_token=[redacted]&%E0%A4%A=1');
    expect(redactUrl('/x?token')).toBe('/x?token');
    expect(redactUrl('/api/v1/sites')).toBe('/api/v1/sites');
    expect(redactUrl('/x?q=token&name=secret')).toBe('/x?q=token&name=secret');
  });
});

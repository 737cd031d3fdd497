// HTML bodies real panels (or the CDN and proxies in front of them) send instead of JSON.

function page (title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="UTF-8"><title>${title}</title></head>\n<body>\n${body}\n</body>\n</html>\n`
}

export const CHALLENGE_PAGE = page('Just a moment...', `<div class="main-wrapper" role="main">
<div class="main-content">
<h1 class="zone-name-title h1">panel.example</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
<div id="challenge-body-text" class="core-msg spacer">panel.example needs to review the security of your connection before proceeding.</div>
</div>
</div>
<script>(function(){window._cf_chl_opt={cvId: '3',cType: 'managed'};})();</script>
<div class="footer" role="contentinfo">Performance &amp; security by <a href="https://www.cloudflare.com" target="_blank">Cloudflare</a></div>`)

export const SERVICE_UNAVAILABLE_PAGE = page('503 Service Temporarily Unavailable',
  '<center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>nginx</center>')

export const BAD_GATEWAY_PAGE = page('502 Bad Gateway', '<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>')

export const NOT_FOUND_PAGE = page('404 Not Found', '<center><h1>404 Not Found</h1></center>\n<hr><center>nginx</center>')

export const METHOD_NOT_ALLOWED_PAGE = page('405 Not Allowed', '<center><h1>405 Not Allowed</h1></center>\n<hr><center>nginx</center>')

export const PAYLOAD_TOO_LARGE_PAGE = page('413 Request Entity Too Large', '<center><h1>413 Request Entity Too Large</h1></center>\n<hr><center>nginx</center>')

export const LOGIN_PAGE = page('Sign in', `<form method="post" action="/">
<h1>Sign in</h1>
<label>Username <input type="text" name="LoginForm[username]"></label>
<label>Password <input type="password" name="LoginForm[password]"></label>
<button type="submit">Sign in</button>
</form>`)

// SmartPanel (CodeIgniter 3): its CSRF refusal of a POST outside the API, its maintenance page.
export const CI_FORBIDDEN_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>403 Forbidden</title>
</head>
<body>
  <div id="container">
    <h1>An Error Was Encountered</h1>
    <p>The action you have requested is not allowed.</p>
  </div>
</body>
</html>`

export const MAINTENANCE_PAGE = page('Maintenance Mode', '<h1>We are currently performing maintenance</h1>\n<p>We will be back shortly. Thank you for your patience.</p>')

/** CodeIgniter 3 on PHP 8.2 in development mode: E_DEPRECATED notices, printed before the answer. */
export const PHP_NOTICES = [
  ['Creation of dynamic property CI_URI::$config is deprecated', 'core/URI.php', 101],
  ['Creation of dynamic property CI_Router::$uri is deprecated', 'core/Router.php', 127]
].map(([message, file, line]) => '<div style="border:1px solid #990000;padding-left:20px;margin:0 0 10px 0;">' +
  `<h4>A PHP Error was encountered</h4><p>Severity: 8192</p><p>Message: ${String(message)}</p><p>Filename: ${String(file)}</p><p>Line Number: ${String(line)}</p></div>\n`).join('')

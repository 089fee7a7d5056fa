// A provider that returns by cross-site POST arrives without our SameSite
// cookie; re-posting from our own page brings the cookie along.
document.getElementById("bounce").submit();

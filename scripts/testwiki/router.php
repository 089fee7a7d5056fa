<?php
/**
 * Router for PHP's built-in server serving the mwlogin test wiki
 * (php -S 127.0.0.1:PORT -t /usr/share/mediawiki router.php).
 *
 * - Makes MediaWiki read the wiki's LocalSettings.php from MW_CONFIG_FILE
 *   (set by start.sh) by defining the constant before MediaWiki starts,
 *   so nothing has to be written under /usr/share/mediawiki or /etc.
 * - Lets the built-in server serve everything else itself (return false).
 */

$config = getenv( 'MW_CONFIG_FILE' );
if ( !is_string( $config ) || $config === '' || !is_readable( $config ) ) {
	http_response_code( 500 );
	header( 'Content-Type: text/plain' );
	echo "router.php: MW_CONFIG_FILE is not set to a readable LocalSettings.php\n";
	return true;
}
if ( !defined( 'MW_CONFIG_FILE' ) ) {
	define( 'MW_CONFIG_FILE', $config );
}
return false;

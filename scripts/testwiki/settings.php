<?php
/**
 * TEST-ONLY settings of the mwlogin test wiki (scripts/testwiki/start.sh).
 * start.sh appends `require_once '<this file>';` to the LocalSettings.php
 * that install.php generated in the wiki's directory. Never use these
 * settings on a real wiki.
 */

if ( !defined( 'MEDIAWIKI' ) ) {
	exit( 1 );
}

/**
 * Parse scripts/testwiki/users.env (KEY="value" lines).
 * @return array<string,string>
 */
function wfMwloginTestEnv(): array {
	static $env = null;
	if ( $env === null ) {
		$env = [];
		foreach ( file( __DIR__ . '/users.env', FILE_IGNORE_NEW_LINES ) as $line ) {
			$line = trim( $line );
			if ( $line === '' || $line[0] === '#' || strpos( $line, '=' ) === false ) {
				continue;
			}
			[ $k, $v ] = explode( '=', $line, 2 );
			$v = trim( $v );
			if ( strlen( $v ) >= 2 && $v[0] === '"' && substr( $v, -1 ) === '"' ) {
				$v = substr( $v, 1, -1 );
			}
			$env[trim( $k )] = $v;
		}
	}
	return $env;
}
$mwlEnv = wfMwloginTestEnv();
$mwlDir = dirname( $wgSQLiteDataDir );

// Caches and sessions in the SQLite DB (data/wikicache.sqlite, table
// objectcache): consistent between requests, workers and maintenance scripts.
$wgMainCacheType = CACHE_DB;
$wgSessionCacheType = CACHE_DB;
$wgMainStash = 'db-replicated';

// Nothing that talks to the internet or sends mail.
$wgEnableEmail = false;
// With no e-mail, no password reset either: no route, so that the wiki
// says so (action=paraminfo of resetpassword has no parameters) and login
// pages offer no "Forgot your password?", as MediaWiki's own would not.
$wgPasswordResetRoutes = [ 'username' => false, 'email' => false ];
$wgEnableUserEmail = false;
$wgEmailAuthentication = false;
$wgEnotifUserTalk = false;
$wgEnotifWatchlist = false;
$wgUseInstantCommons = false;
$wgForeignFileRepos = [];
$wgPingback = false;
$wgAllowExternalImages = false;
$wgEnableUploads = false;
$wgAllowCopyUploads = false;
$wgEnableScaryTranscluding = false;
$wgUseImageMagick = false;

// Fast and quiet: no jobs run during web requests, no CDN.
$wgJobRunRate = 0;
$wgUseCdn = false;
$wgShowExceptionDetails = true;
$wgDebugLogGroups['authentication'] = "$mwlDir/logs/authentication.log";
$wgDebugLogGroups['captcha'] = "$mwlDir/logs/captcha.log";
$wgDebugLogGroups['session'] = "$mwlDir/logs/session.log";
$wgDebugLogGroups['exception'] = "$mwlDir/logs/exception.log";
$wgDebugLogGroups['error'] = "$mwlDir/logs/error.log";

// Cheap password hashes (the default PBKDF2 cost of 30000 makes every
// password check take ~0.2 s of CPU). setup.php hashes with this setting too.
$wgPasswordConfig['pbkdf2']['cost'] = '1000';

// Cheap session secrets: Session::setSecret()/getSecret() (AuthManager's
// login state) derive a key with PBKDF2 on every call, 10001 iterations by
// default: ~20 ms of CPU each, ~150 ms per login.
$wgSessionPbkdf2Iterations = 10;

// Only logged-in users edit, so that an edit the tests make as a user
// proves the wiki took the request as that user's.
$wgGroupPermissions['*']['edit'] = false;

// Generous throttles: tests log in many times from 127.0.0.1.
$wgPasswordAttemptThrottle = [ [ 'count' => 1000000, 'seconds' => 60 ] ];
$wgAccountCreationThrottle = [ [ 'count' => 1000000, 'seconds' => 60 ] ];
$wgRateLimits['badoath'] = [
	'&can-bypass' => false,
	'ip' => [ 1000000, 60 ],
	'user' => [ 1000000, 60 ],
	'user-global' => [ 1000000, 60 ],
];
$wgRateLimits['badcaptcha'] = [
	'ip' => [ 1000000, 60 ],
	'newbie' => [ 1000000, 60 ],
	'user' => [ 1000000, 60 ],
];

// OATHAuth (loaded by install.php --extensions): default TOTP window radius
// (4 steps of 30 s each side). A code's time step can only be used once per
// user: a later login needs a code of a later step.
$wgOATHAuthWindowRadius = 4;

// ConfirmEdit (loaded by install.php --extensions) with QuestyCaptcha. Only
// the per-user bad-login trigger, and only for the users of
// $wgMwloginTestCaptchaUsers (see TestQuestyCaptcha).
wfLoadExtension( 'ConfirmEdit/QuestyCaptcha' );
$wgCaptchaClass = MediaWiki\Extension\MwloginTestSSO\TestQuestyCaptcha::class;
$wgCaptchaQuestions = [ $mwlEnv['CAPTCHA_QUESTION'] => $mwlEnv['CAPTCHA_ANSWER'] ];
$wgCaptchaTriggers = [
	'edit' => false,
	'create' => false,
	'sendemail' => false,
	'addurl' => false,
	'createaccount' => false,
	'badlogin' => false,
	'badloginperuser' => true,
];
$wgCaptchaBadLoginAttempts = 1000000;
$wgCaptchaBadLoginPerUserAttempts = (int)$mwlEnv['CAPTCHA_BADLOGIN_ATTEMPTS'];
$wgCaptchaBadLoginPerUserExpiration = 600;
$wgMwloginTestCaptchaUsers = [ $mwlEnv['DAVE_USER'] ];

// Our TEST-ONLY SSO extension.
wfLoadExtension( 'MwloginTestSSO',
	dirname( __DIR__, 2 ) . '/testdata/mediawiki/extensions/MwloginTestSSO/extension.json' );
// Core's ConfirmLinkSecondaryAuthenticationProvider (commented out in the
// defaults of 1.39): with it, the unmapped SSO identity ends in RESTART with
// "authmanager-authn-no-local-user-link" and canpreservestate=true (a
// CreateFromLoginAuthenticationRequest). Our provider refuses the actual
// linking, so no link-confirmation UI ever follows.
$wgAuthManagerAutoConfig['secondaryauth'][MediaWiki\Auth\ConfirmLinkSecondaryAuthenticationProvider::class] = [
	'class' => MediaWiki\Auth\ConfirmLinkSecondaryAuthenticationProvider::class,
	'sort' => 100,
];
$wgMwloginTestSSOIdentities = [
	$mwlEnv['SSO_MAPPED_IDENTITY'] => $mwlEnv['CAROL_USER'],
	$mwlEnv['SSO_UNMAPPED_IDENTITY'] => null,
];

<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * Special:MwloginTestIdP, a fake OpenID-Connect-like identity provider.
 *
 * GET  ?response_type=code&client_id=...&redirect_uri=URL&state=S
 *      shows a plain HTML page with one form: buttons to pick an identity.
 * POST (or GET) with identity=ID in addition answers HTTP 302 to
 *      redirect_uri with code=...&state=S appended (ID "carol@idp",
 *      "stranger@idp"), with an invalid code ("invalid") or with
 *      error=access_denied&state=S ("deny").
 *
 * Everything it needs travels in the URL / form: it works without any wiki
 * session cookie (the browser of the app never holds the wiki's cookies).
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use UnlistedSpecialPage;

class SpecialMwloginTestIdP extends UnlistedSpecialPage {
	public function __construct() {
		parent::__construct( 'MwloginTestIdP' );
	}

	public function doesWrites() {
		return true;
	}

	public function execute( $par ) {
		$request = $this->getRequest();
		$response = $request->response();
		$this->getOutput()->disable();
		$response->header( 'Cache-Control: no-store' );

		$redirectUri = (string)$request->getVal( 'redirect_uri', '' );
		$state = (string)$request->getVal( 'state', '' );
		$parts = wfParseUrl( $redirectUri );
		if ( !$parts || !in_array( $parts['scheme'] ?? '', [ 'http', 'https' ], true ) || $state === '' ) {
			$this->page( 400, 'Bad request',
				'<p>redirect_uri (absolute http(s) URL) and state are required.</p>' );
			return;
		}

		$identities = array_keys( $this->getConfig()->get( 'MwloginTestSSOIdentities' ) );
		$choice = $request->getVal( 'identity' );
		if ( $choice !== null ) {
			if ( in_array( $choice, $identities, true ) ) {
				$params = [ 'code' => Codes::issue( $choice, $state ), 'state' => $state ];
			} elseif ( $choice === 'invalid' ) {
				$params = [ 'code' => 'not-a-valid-code', 'state' => $state ];
			} elseif ( $choice === 'deny' ) {
				$params = [
					'error' => 'access_denied',
					'error_description' => 'The user denied the request',
					'state' => $state,
				];
			} else {
				$this->page( 400, 'Bad request', '<p>Unknown identity.</p>' );
				return;
			}
			$response->header( 'Location: ' . self::appendQuery( $redirectUri, $params ), true, 302 );
			return;
		}

		$h = static function ( $s ) {
			return htmlspecialchars( (string)$s, ENT_QUOTES );
		};
		$action = $this->getPageTitle()->getLocalURL();
		$hidden = '';
		foreach ( [ 'response_type', 'client_id', 'redirect_uri', 'state' ] as $name ) {
			$hidden .= '<input type="hidden" name="' . $h( $name ) . '" value="' .
				$h( $request->getVal( $name, '' ) ) . '">' . "\n";
		}
		$buttons = '';
		foreach ( $identities as $id ) {
			$buttons .= '<button type="submit" name="identity" value="' . $h( $id ) . '">Continue as ' .
				$h( $id ) . "</button>\n";
		}
		$buttons .= '<button type="submit" name="identity" value="invalid">Return an invalid code</button>' . "\n";
		$buttons .= '<button type="submit" name="identity" value="deny">Deny</button>' . "\n";
		$this->page( 200, 'Test identity provider',
			'<p>TEST-ONLY identity provider of the mwlogin test wiki. Client <code>' .
			$h( $request->getVal( 'client_id', '' ) ) . '</code> asks you to sign in.</p>' . "\n" .
			'<form id="mwlogintestidp" method="post" action="' . $h( $action ) . '">' . "\n" .
			$hidden . $buttons . "</form>\n" );
	}

	private function page( int $status, string $title, string $body ) {
		$response = $this->getRequest()->response();
		$response->statusHeader( $status );
		$response->header( 'Content-Type: text/html; charset=utf-8' );
		echo "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" .
			htmlspecialchars( $title ) . "</title></head>\n<body>\n<h1>" . htmlspecialchars( $title ) .
			"</h1>\n" . $body . "</body></html>\n";
	}

	/**
	 * Append query parameters to a URL that may already have a query and/or
	 * a fragment.
	 */
	private static function appendQuery( string $url, array $params ): string {
		$fragment = '';
		$pos = strpos( $url, '#' );
		if ( $pos !== false ) {
			$fragment = substr( $url, $pos );
			$url = substr( $url, 0, $pos );
		}
		$sep = strpos( $url, '?' ) === false ? '?' : '&';
		return $url . $sep . http_build_query( $params, '', '&', PHP_QUERY_RFC3986 ) . $fragment;
	}
}

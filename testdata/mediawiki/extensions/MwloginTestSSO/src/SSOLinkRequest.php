<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * The "linkRequest" returned with a PASS that has no local user: it makes
 * AuthManager answer RESTART with 'authmanager-authn-no-local-user-link'.
 * Linking itself is refused (see
 * SSOPrimaryAuthenticationProvider::providerAllowsAuthenticationDataChange)
 * so that the unmapped identity stays unmapped for every test.
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use MediaWiki\Auth\AuthenticationRequest;
use RawMessage;

class SSOLinkRequest extends AuthenticationRequest {
	/** @var string */
	public $identity;

	public function __construct( string $identity ) {
		$this->identity = $identity;
	}

	public function getUniqueId() {
		return parent::getUniqueId() . ':' . $this->identity;
	}

	public function getFieldInfo() {
		return [];
	}

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'mwlogintestsso-provider' ),
			'account' => new RawMessage( '$1', [ $this->identity ] ),
		];
	}

	public static function __set_state( $data ) {
		$ret = new static( $data['identity'] ?? '' );
		foreach ( $data as $k => $v ) {
			$ret->$k = $v;
		}
		return $ret;
	}
}

<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * A primary authentication provider that behaves like a real single sign-on
 * (OpenID Connect authorization code flow) extension, against a fake
 * identity provider on the same wiki (Special:MwloginTestIdP):
 *
 *  1. ACTION_LOGIN offers a button ("Log in with Test SSO", field
 *     "mwlogintestsso").
 *  2. beginPrimaryAuthentication with the button pressed: a random state is
 *     kept in the auth session and the answer is REDIRECT to
 *     Special:MwloginTestIdP?response_type=code&client_id=...&redirect_uri=<returnToUrl>&state=<state>,
 *     needing an SSOReturnRequest (fields "code" and "state").
 *  3. The identity provider sends the browser to redirect_uri with
 *     ?code=...&state=... appended.
 *  4. continuePrimaryAuthentication checks state and code: FAIL if bad or
 *     missing; PASS as the mapped local user ($wgMwloginTestSSOIdentities,
 *     "carol@idp" => "Carol"); for an identity mapped to null
 *     ("stranger@idp") PASS without a user name but with a linkRequest, which
 *     AuthManager turns into RESTART ("authmanager-authn-no-local-user-link").
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use MediaWiki\Auth\AbstractPrimaryAuthenticationProvider;
use MediaWiki\Auth\AuthenticationRequest;
use MediaWiki\Auth\AuthenticationResponse;
use MediaWiki\Auth\AuthManager;
use MediaWiki\Auth\ButtonAuthenticationRequest;
use SpecialPage;
use StatusValue;

class SSOPrimaryAuthenticationProvider extends AbstractPrimaryAuthenticationProvider {
	private const STATE_KEY = 'MwloginTestSSO:state';

	public function getAuthenticationRequests( $action, array $options ) {
		if ( $action === AuthManager::ACTION_LOGIN ) {
			return [ new SSOButtonRequest() ];
		}
		return [];
	}

	public function beginPrimaryAuthentication( array $reqs ) {
		$button = ButtonAuthenticationRequest::getRequestByName( $reqs, SSOButtonRequest::NAME );
		if ( !$button ) {
			return AuthenticationResponse::newAbstain();
		}
		$returnTo = $button->returnToUrl;
		if ( !is_string( $returnTo ) || $returnTo === '' ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-noreturnurl' ) );
		}

		$state = bin2hex( random_bytes( 16 ) );
		$this->manager->setAuthenticationSessionData( self::STATE_KEY, $state );

		$target = SpecialPage::getTitleFor( 'MwloginTestIdP' )->getFullURL( [
			'response_type' => 'code',
			'client_id' => 'mwlogin-test-wiki',
			'redirect_uri' => $returnTo,
			'state' => $state,
		], false, PROTO_CANONICAL );

		$this->logger->info( 'MwloginTestSSO: redirecting to the test identity provider' );
		return AuthenticationResponse::newRedirect( [ new SSOReturnRequest() ], $target );
	}

	public function continuePrimaryAuthentication( array $reqs ) {
		$expected = $this->manager->getAuthenticationSessionData( self::STATE_KEY );
		/** @var SSOReturnRequest|null $req */
		$req = AuthenticationRequest::getRequestByClass( $reqs, SSOReturnRequest::class );
		if ( !$req || (string)$req->code === '' || (string)$req->state === '' ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-missing' ) );
		}
		if ( !is_string( $expected ) || $expected === '' ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-nosession' ) );
		}
		$this->manager->removeAuthenticationSessionData( self::STATE_KEY );
		if ( !hash_equals( $expected, (string)$req->state ) ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-state' ) );
		}
		$identity = Codes::verify( (string)$req->code, $expected );
		if ( $identity === null ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-code' ) );
		}
		if ( !Codes::markUsed( (string)$req->code ) ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-code-used' ) );
		}

		$map = $this->config->get( 'MwloginTestSSOIdentities' );
		if ( !array_key_exists( $identity, $map ) ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwlogintestsso-error-code' ) );
		}
		$local = $map[$identity];
		if ( is_string( $local ) && $local !== '' ) {
			$this->logger->info( "MwloginTestSSO: $identity logs in as $local" );
			return AuthenticationResponse::newPass( $local );
		}

		// Valid third-party identity without a local user: PASS with no user
		// name plus a link request => AuthManager answers RESTART.
		$this->logger->info( "MwloginTestSSO: $identity has no local user" );
		$res = AuthenticationResponse::newPass( null );
		$res->linkRequest = new SSOLinkRequest( $identity );
		return $res;
	}

	public function testUserExists( $username, $flags = \IDBAccessObject::READ_NORMAL ) {
		return false;
	}

	public function providerAllowsAuthenticationDataChange(
		AuthenticationRequest $req, $checkData = true
	) {
		if ( $req instanceof SSOLinkRequest ) {
			// Never link: keeps "stranger@idp" unmapped for all tests.
			return StatusValue::newFatal( 'mwlogintestsso-link-disabled' );
		}
		return StatusValue::newGood( 'ignored' );
	}

	public function providerChangeAuthenticationData( AuthenticationRequest $req ) {
	}

	public function accountCreationType() {
		return self::TYPE_LINK;
	}

	public function beginPrimaryAccountCreation( $user, $creator, array $reqs ) {
		return AuthenticationResponse::newAbstain();
	}
}

<?php
/**
 * TEST-ONLY maintenance script of the mwlogin test wiki: creates the test
 * users of users.env with their passwords, enables OATHAuth TOTP for Bob
 * from the known secret (OATHAuth 0.5.0 / MW 1.39 has no maintenance script
 * for that, so this uses OATHAuth's own OATHUserRepository / TOTPKey /
 * module "totp"), and creates Alice's bot password.
 *
 * Run by start.sh:
 *   MW_CONFIG_FILE=DIR/LocalSettings.php php scripts/testwiki/setup.php
 */

$IP = getenv( 'MW_INSTALL_PATH' ) ?: '/usr/share/mediawiki';
require_once "$IP/maintenance/Maintenance.php";

use MediaWiki\Auth\AuthManager;
use MediaWiki\Extension\OATHAuth\Key\TOTPKey;
use MediaWiki\MediaWikiServices;

class MwloginTestWikiSetup extends Maintenance {
	public function __construct() {
		parent::__construct();
		$this->addDescription( 'TEST-ONLY: create the mwlogin test users, TOTP and bot password.' );
	}

	public function execute() {
		$env = wfMwloginTestEnv();
		foreach ( [ 'ALICE', 'BOB', 'CAROL', 'DAVE' ] as $who ) {
			$this->createUser( $env["{$who}_USER"], $env["{$who}_PASSWORD"] );
		}
		$this->enableTOTP( $env['BOB_USER'], $env['BOB_TOTP_SECRET'] );
		$this->createBotPassword( $env['ALICE_USER'], $env['ALICE_BOT_APPID'], $env['ALICE_BOT_PASSWORD'] );
		$this->output( "setup: done\n" );
	}

	private function createUser( string $name, string $password ) {
		$services = MediaWikiServices::getInstance();
		$user = $services->getUserFactory()->newFromName( $name );
		if ( !$user ) {
			$this->fatalError( "invalid user name $name" );
		}
		if ( $user->idForName() === 0 ) {
			$status = $services->getAuthManager()->autoCreateUser(
				$user, AuthManager::AUTOCREATE_SOURCE_MAINT, false
			);
			if ( !$status->isGood() ) {
				$this->fatalError( "creating $name: " . $status->getMessage( false, false, 'en' )->text() );
			}
			SiteStatsUpdate::factory( [ 'users' => 1 ] )->doUpdate();
		}
		$status = $user->changeAuthenticationData( [
			'username' => $user->getName(),
			'password' => $password,
			'retype' => $password,
		] );
		if ( !$status->isGood() ) {
			$this->fatalError( "password of $name: " . $status->getMessage( false, false, 'en' )->text() );
		}
		$this->output( "setup: user $name\n" );
	}

	private function enableTOTP( string $name, string $secret ) {
		$services = MediaWikiServices::getInstance();
		$user = $services->getUserFactory()->newFromName( $name );
		$repo = $services->getService( 'OATHUserRepository' );
		$module = $services->getService( 'OATHAuth' )->getModuleByKey( 'totp' );
		$oathUser = $repo->findByUser( $user );
		$key = TOTPKey::newFromArray( [ 'secret' => $secret, 'scratch_tokens' => [] ] );
		if ( !$key ) {
			$this->fatalError( 'could not make the TOTP key' );
		}
		$oathUser->setModule( $module );
		$oathUser->setKeys( [ $key ] );
		$repo->persist( $oathUser, '127.0.0.1' );
		$this->output( "setup: TOTP enabled for $name\n" );
	}

	private function createBotPassword( string $name, string $appId, string $password ) {
		$services = MediaWikiServices::getInstance();
		$user = $services->getUserFactory()->newFromName( $name );
		$bp = BotPassword::newUnsaved( [
			'user' => $user,
			'appId' => $appId,
			'grants' => [ 'basic', 'editpage' ],
		] );
		if ( !$bp ) {
			$this->fatalError( 'could not make the bot password' );
		}
		$status = $bp->save( 'insert', $services->getPasswordFactory()->newFromPlaintext( $password ) );
		if ( !$status->isGood() ) {
			$this->fatalError( 'bot password: ' . $status->getMessage( false, false, 'en' )->text() );
		}
		$this->output( "setup: bot password $name@$appId\n" );
	}
}

$maintClass = MwloginTestWikiSetup::class;
require_once RUN_MAINTENANCE_IF_MAIN;
